"""`flask transfers run-due`: post every scheduled transfer due today (cron / systemd timer).

Safe to run twice, or on two hosts at once: see `banking.core.scheduling.run_due`.
"""

from __future__ import annotations

from datetime import date, datetime

import click
from flask import Flask
from flask.cli import AppGroup

from banking.cli.reasons import CLI
from banking.services import operations

transfers_group = AppGroup("transfers", help="Scheduled transfers.")


@transfers_group.command("run-due")
@click.option(
    "--date",
    "on_date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Run as if today were this date (YYYY-MM-DD); default: today in DISPLAY_TIMEZONE.",
)
def run_due_command(on_date: datetime | None) -> None:
    """Post every due occurrence once; failures are recorded on their schedule."""
    today: date = on_date.date() if on_date else operations.bank_today()
    report = operations.run_due_transfers(actor=CLI, today=today)
    click.echo(f"Scheduled transfers for {today.isoformat()}: {report.summary()}")
    for schedule_id, occurrence, reason in report.failed:
        click.echo(f"  schedule {schedule_id} ({occurrence.isoformat()}) failed: {reason}")


def register(app: Flask) -> None:
    app.cli.add_command(transfers_group)
