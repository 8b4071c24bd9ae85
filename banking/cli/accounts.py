"""`flask accounts freeze|unfreeze NUMBER --reason R`: operators stop or restore money flow.

A frozen account can neither send nor receive (the ledger enforces it); the reason is
kept on the account and in the audit trail, written in the same commit as the change.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from banking.cli.reasons import required_reason
from banking.core.account_numbers import is_valid_account_number, normalize_account_number
from banking.core.models import Account, AccountStatus
from banking.extensions import db
from banking.services import audit

accounts_cli = AppGroup("accounts", help="Freeze and unfreeze customer accounts.")


def register(app: Flask) -> None:
    app.cli.add_command(accounts_cli)


def _get_account_or_fail(number: str) -> Account:
    number = normalize_account_number(number)
    if not is_valid_account_number(number):
        raise click.ClickException(
            "That is not a valid account number (12 digits with a check digit)."
        )
    account = db.session.scalar(select(Account).where(Account.number == number))
    if account is None or account.is_system:
        raise click.ClickException(f"No customer account with number {number}.")
    return account


def _audit(action: str, account: Account, previous: str, reason: str) -> None:
    audit.record(
        action,
        actor_id=None,
        target_type="account",
        target_id=account.id,
        success=True,
        details={"via": "cli", "from": previous, "to": account.status, "reason": reason},
    )


@accounts_cli.command("freeze")
@click.argument("number")
@click.option(
    "--reason",
    required=True,
    help="Why the account is frozen (stored on the account and in the audit trail).",
)
def freeze_account(number: str, reason: str) -> None:
    """Freeze account NUMBER: it can neither send nor receive money until unfrozen."""
    reason = required_reason(reason)
    account = _get_account_or_fail(number)
    if account.status == AccountStatus.CLOSED.value:
        raise click.ClickException("That account is closed; there is nothing to freeze.")
    previous = account.status
    account.status = AccountStatus.FROZEN.value
    account.status_reason = reason
    _audit("account.freeze", account, previous, reason)
    db.session.commit()
    click.echo(f"Froze account {account.masked_number}.")


@accounts_cli.command("unfreeze")
@click.argument("number")
@click.option(
    "--reason",
    required=True,
    help="Why the account is unfrozen (recorded in the audit trail).",
)
def unfreeze_account(number: str, reason: str) -> None:
    """Unfreeze account NUMBER so it can send and receive money again.

    Giving money movement back is as sensitive as taking it away, so it needs a reason
    just like freeze: whoever reads the audit trail must learn why the block was lifted.
    """
    reason = required_reason(reason)
    account = _get_account_or_fail(number)
    if account.status != AccountStatus.FROZEN.value:
        raise click.ClickException(f"That account is {account.status}, not frozen.")
    account.status = AccountStatus.ACTIVE.value
    account.status_reason = None
    _audit("account.unfreeze", account, AccountStatus.FROZEN.value, reason)
    db.session.commit()
    click.echo(f"Unfroze account {account.masked_number}.")
