"""`flask statements export --account NUMBER --month YYYY-MM [--output FILE]`: a statement as CSV.
`flask statements produce --period YYYY-MM`: issue a past month's statement documents.

`export` is for operators answering a customer's request (the same rows as the customer's
download). `produce` runs what the worker runs on the 1st (for a month the worker missed,
or after fixing what made some accounts fail); safe to re-run: each account's document
for a month is produced once.
"""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from banking.cli.reasons import CLI
from banking.core.csv_export import iter_csv
from banking.core.statements import STATEMENT_HEADER, InvalidMonth, Month, statement_csv_rows
from banking.services import operations, statement_archive

statements_group = AppGroup("statements", help="Monthly account statements.")


@statements_group.command("export")
@click.option("--account", "number", required=True, help="The account number (12 digits).")
@click.option("--month", "month_text", required=True, help="The month as YYYY-MM.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write to this file instead of standard output.",
)
def export_command(number: str, month_text: str, output: str | None) -> None:
    """Write the statement of one account for one month as CSV."""
    try:
        month = Month.parse(month_text)
    except InvalidMonth as exc:
        raise click.BadParameter(str(exc), param_hint="--month") from exc
    found = operations.statement_of(
        number, month, tz=current_app.config.get("DISPLAY_TIMEZONE", "UTC")
    )
    if found is None:
        raise click.BadParameter("No customer account has that number.", param_hint="--account")
    statement = found.statement
    lines = iter_csv(STATEMENT_HEADER, statement_csv_rows(statement))
    if output:
        with open(output, "w", newline="", encoding="utf-8") as handle:
            handle.writelines(lines)
        click.echo(
            f"Wrote the {month} statement of account {found.masked_number} to {output} "
            f"({len(statement.entries)} entries).",
            err=True,
        )
    else:
        stream = sys.stdout
        for line in lines:
            stream.write(line)
        stream.flush()
    if not statement.reconciles:
        click.echo(
            "Warning: this statement does not reconcile; run `flask ledger verify`.", err=True
        )
        sys.exit(2)


@statements_group.command("produce")
@click.option(
    "--period",
    required=True,
    metavar="YYYY-MM",
    help="The month to issue statements for; it must have ended (in DISPLAY_TIMEZONE). "
    "Re-running the same month issues nothing twice.",
)
def produce_command(period: str) -> None:
    """Issue one month's statement document (PDF and CSV) for every account open in it."""
    try:
        parsed = statement_archive.parse_period(period)
    except statement_archive.PeriodNotOver as exc:
        raise click.BadParameter(str(exc), param_hint="--period") from exc
    report = statement_archive.produce(actor=CLI, period=parsed)
    click.echo(f"Statements for {report.period}: {report.summary()}.")
    for account_id, error_type in report.failed:
        click.echo(f"Account id {account_id} not produced: {error_type}", err=True)
    if report.failed:
        raise SystemExit(1)


def register(app: Flask) -> None:
    app.cli.add_command(statements_group)
