"""Row locks every posting path takes, always in the same order (so they never deadlock
each other; only a foreign lock order can, and `retries.py` handles that)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from banking.core.models import Account, User


def lock_user(session: Session, user_id: int) -> None:
    """Serialize one customer's transfers, so two racing ones can't both pass the daily limit.

    NO KEY UPDATE: still serializes this user's transfers, but does not wait for (or block)
    rows that merely reference the user, like another journal row's initiator FK.
    """
    session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))


def lock_accounts(session: Session, ids: list[int]) -> dict[int, Account]:
    """SELECT … FOR NO KEY UPDATE in ascending id order: every path locks the same way.

    NO KEY UPDATE is the lock an UPDATE of a non-key column takes anyway; unlike FOR UPDATE
    it does not conflict with the KEY SHARE locks that inserts referencing the account
    (journal rows, entries, holds, payees) take, so those don't queue behind a transfer.
    """
    rows = session.scalars(
        select(Account)
        .where(Account.id.in_(sorted(set(ids))))
        .order_by(Account.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).all()
    return {account.id: account for account in rows}
