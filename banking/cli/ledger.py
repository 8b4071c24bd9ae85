"""`flask ledger …`: the operator's proof that the books balance, and hold housekeeping."""

from __future__ import annotations

import json

import click
from flask import Flask
from flask.cli import AppGroup

from banking.core import ledger
from banking.core.integrity import verify_ledger
from banking.extensions import db
from banking.services import audit

ledger_cli = AppGroup("ledger", help="Check and maintain the double-entry ledger.")


@ledger_cli.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--deep", is_flag=True, help="Also replay every entry's running balance.")
@click.option("--limit", default=50, show_default=True, help="Breaches listed per check.")
def verify_command(as_json: bool, deep: bool, limit: int) -> None:
    """Check every ledger invariant; exit 1 if any is broken (so cron and CI notice)."""
    report = verify_ledger(db.session, limit=limit, deep=deep)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo(report.format())
    if not report.ok:
        raise SystemExit(1)


HOLD_EXPIRED = "transfer.hold_expired"


# One expiry's audit row: money the customer reserved is theirs again, and no person
# decided it (actor none), so the trail must say the clock did.
audit_hold_expired = audit.transaction_hook(
    HOLD_EXPIRED,
    details=lambda txn: {
        "amount": txn.amount,
        "account_id": txn.source_account_id,
        "status": txn.status,
        "via": "cli",
    },
)


@ledger_cli.command("expire-holds")
def expire_holds_command() -> None:
    """Release every hold past its expiry (run it from cron, e.g. hourly); each release is
    audited as transfer.hold_expired."""
    released = ledger.expire_holds(db.session, on_expired=audit_hold_expired)
    click.echo(f"Released {released} expired hold(s).")


def register(app: Flask) -> None:
    app.cli.add_command(ledger_cli)
