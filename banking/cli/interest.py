"""`flask interest accrue --period YYYY-MM`: pay a past month's savings interest, once.

Meant for a monthly cron job; safe to re-run (each account/period pays at most once),
so a failed or doubled run is fixed by simply running it again.
"""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from banking.cli.reasons import CLI
from banking.core import interest
from banking.core.money import format_plain
from banking.services import operations

interest_cli = AppGroup("interest", help="Savings interest.")


def register(app: Flask) -> None:
    app.cli.add_command(interest_cli)


@interest_cli.command("accrue")
@click.option(
    "--period",
    required=True,
    metavar="YYYY-MM",
    help="The month to pay interest for; it must have ended (UTC). Re-running the same "
    "month pays nothing twice.",
)
def accrue_interest(period: str) -> None:
    """Pay one month's interest on every savings account at SAVINGS_ANNUAL_RATE_BP.

    Interest = balance at the end of the month × rate (basis points) / 120,000, rounded
    half to even, in cents; accounts whose interest rounds to zero get nothing.
    """
    try:
        parsed = interest.parse_period(period)
    except interest.InvalidPeriod as exc:
        raise click.BadParameter(str(exc), param_hint="--period") from exc
    rate_bp = int(current_app.config["SAVINGS_ANNUAL_RATE_BP"])
    report = operations.accrue_interest(actor=CLI, period=parsed)
    click.echo(
        f"Interest for {report.period} at {rate_bp} bp a year: "
        f"paid {report.paid} account(s) {format_plain(report.total_paid)} in total; "
        f"{report.already_paid} already paid; {report.nothing_due} with nothing due."
    )
    for account_id, reason in report.failed:
        click.echo(f"Account id {account_id} not paid: {reason}", err=True)
    if report.failed:
        raise SystemExit(1)
