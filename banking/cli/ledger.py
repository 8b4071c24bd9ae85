"""`flask ledger …`: the operator's proof that the books balance, and hold housekeeping."""

from __future__ import annotations

import json

import click
from flask import Flask
from flask.cli import AppGroup

from banking.cli.reasons import CLI
from banking.services import ledger_checks, operations

ledger_cli = AppGroup("ledger", help="Check and maintain the double-entry ledger.")


@ledger_cli.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--deep", is_flag=True, help="Also replay every entry's running balance.")
@click.option("--limit", default=50, show_default=True, help="Breaches listed per check.")
def verify_command(as_json: bool, deep: bool, limit: int) -> None:
    """Check every ledger invariant; exit 1 if any is broken (so cron and CI notice).

    The run is recorded like the worker's and the admin's, so the integrity page shows it.
    """
    _check, report = ledger_checks.run_check(actor=CLI, deep=deep, limit=limit)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo(report.format())
    if not report.ok:
        raise SystemExit(1)


@ledger_cli.command("expire-holds")
def expire_holds_command() -> None:
    """Release every hold past its expiry (run it from cron, e.g. hourly); each release is
    audited as transfer.hold_expired."""
    released = operations.expire_holds(actor=CLI)
    click.echo(f"Released {released} expired hold(s).")


def register(app: Flask) -> None:
    app.cli.add_command(ledger_cli)
