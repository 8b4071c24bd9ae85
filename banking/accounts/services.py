"""Customer account services: opening, renaming and closing accounts (no money moves here)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from banking.account_numbers import new_account_number
from banking.models import Account, AccountKind


def open_account(
    session: Session,
    owner_id: int,
    *,
    kind: str = AccountKind.CHECKING.value,
    currency: str = "USD",
    nickname: str = "",
) -> Account:
    """Add a new zero-balance account to the session (the caller commits)."""
    account = Account(
        number=new_account_number(session),
        owner_id=owner_id,
        kind=kind,
        currency=currency,
        nickname=nickname or ("Everyday checking" if kind == "checking" else "Savings"),
        balance=0,
        available_balance=0,
        overdraft_limit=0,
    )
    session.add(account)
    session.flush()
    return account
