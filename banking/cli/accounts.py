"""`flask accounts freeze|unfreeze NUMBER --reason R`: operators stop or restore money flow.

A frozen account can neither send nor receive (the ledger enforces it). These commands
run the very service the admin pages run (`banking.services.admin.accounts`): the same
row lock, the same refusals (freezing a frozen account is refused, as on the web), the
same audit action (`admin.account.freeze`, with `via: cli`).
"""

from __future__ import annotations

from functools import partial

import click
from flask import Flask
from flask.cli import AppGroup

from banking.cli.reasons import reason_command
from banking.core.account_numbers import is_valid_account_number, normalize_account_number
from banking.core.models import Account
from banking.services.admin import accounts as account_actions

accounts_cli = AppGroup("accounts", help="Freeze and unfreeze customer accounts.")


def register(app: Flask) -> None:
    app.cli.add_command(accounts_cli)


def _account_id_or_fail(number: str) -> int:
    number = normalize_account_number(number)
    if not is_valid_account_number(number):
        raise click.ClickException(
            "That is not a valid account number (12 digits with a check digit)."
        )
    account = account_actions.find_customer_account(number)
    if account is None:
        raise click.ClickException(f"No customer account with number {number}.")
    return account.id


_account_command = partial(
    reason_command, accounts_cli, argument="number", find=_account_id_or_fail
)


@_account_command(
    "freeze",
    account_actions.freeze_account,
    reason_help="Why the account is frozen (stored on the account and in the audit trail).",
)
def freeze_account(account: Account) -> str:
    """Freeze account NUMBER: it can neither send nor receive money until unfrozen."""
    return f"Froze account {account.masked_number}."


@_account_command(
    "unfreeze",
    account_actions.unfreeze_account,
    reason_help="Why the account is unfrozen (recorded in the audit trail).",
)
def unfreeze_account(account: Account) -> str:
    """Unfreeze account NUMBER so it can send and receive money again.

    Giving money movement back is as sensitive as taking it away, so it needs a reason
    just like freeze: whoever reads the audit trail must learn why the block was lifted.
    """
    return f"Unfroze account {account.masked_number}."
