"""`flask accounts freeze|unfreeze NUMBER --reason R`: operators stop or restore money flow.

A frozen account can neither send nor receive (the ledger enforces it). These commands
run the very service the admin pages run (`banking.services.admin.accounts`): the same
row lock, the same refusals (freezing a frozen account is refused, as on the web), the
same audit action (`admin.account.freeze`, with `via: cli`).
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from banking.cli.reasons import reason_command
from banking.core.account_numbers import is_valid_account_number, normalize_account_number
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


reason_command(
    accounts_cli,
    "freeze",
    argument="number",
    find=_account_id_or_fail,
    service=account_actions.freeze_account,
    reason_help="Why the account is frozen (stored on the account and in the audit trail).",
    done=lambda account: f"Froze account {account.masked_number}.",
    doc="Freeze account NUMBER: it can neither send nor receive money until unfrozen.",
)
reason_command(
    accounts_cli,
    "unfreeze",
    argument="number",
    find=_account_id_or_fail,
    service=account_actions.unfreeze_account,
    reason_help="Why the account is unfrozen (recorded in the audit trail).",
    done=lambda account: f"Unfroze account {account.masked_number}.",
    doc="""Unfreeze account NUMBER so it can send and receive money again.

    Giving money movement back is as sensitive as taking it away, so it needs a reason
    just like freeze: whoever reads the audit trail must learn why the block was lifted.
    """,
)
