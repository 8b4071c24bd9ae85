"""`flask statements export --account NUMBER --month YYYY-MM [--output FILE]`: a statement as CSV.

For operators answering a customer's request; the same rows as the customer's download.
"""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from banking.core.csv_export import iter_csv
from banking.core.statements import STATEMENT_HEADER, InvalidMonth, Month, statement_csv_rows
from banking.services import operations

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


def register(app: Flask) -> None:
    app.cli.add_command(statements_group)
