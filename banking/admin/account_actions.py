"""Admin services on accounts: find, freeze, unfreeze, close.

Status changes take the same row lock the ledger takes, so a freeze cannot interleave
with a posting: a transfer either finished before the freeze or sees the frozen status.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from banking import audit
from banking.admin.errors import AdminActionRefused
from banking.admin.pagination import Page, paginate
from banking.models import (
    Account,
    AccountStatus,
    Hold,
    JournalTransaction,
    TransactionStatus,
    User,
)
from banking.models.base import utcnow


def search_accounts(session: Session, text: str | None, cursor: str | None) -> Page:
    """By account number (digits, exact or prefix) or by the owner's name or email."""
    query = select(Account).outerjoin(User, Account.owner_id == User.id)
    if text:
        digits = text.replace(" ", "").replace("-", "")
        pattern = f"%{_escape_like(text.lower())}%"
        query = query.where(
            or_(
                Account.number.like(f"{_escape_like(digits)}%", escape="\\"),
                func.lower(User.email).like(pattern, escape="\\"),
                func.lower(User.full_name).like(pattern, escape="\\"),
            )
        )
    return paginate(session, query, Account, cursor, time_column="opened_at")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _locked_account(session: Session, account_id: int) -> Account:
    account = session.scalar(
        select(Account)
        .where(Account.id == account_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if account is None:
        raise AdminActionRefused("That account no longer exists.")
    if account.is_system:
        raise AdminActionRefused("The bank's system accounts cannot be changed here.")
    return account


def _finish(session: Session, action: str, actor_id: int, account: Account, **details) -> None:
    audit.record(
        action,
        actor_id=actor_id,
        target_type="account",
        target_id=account.id,
        success=True,
        details={"number": account.masked_number, **details},
        session=session,
    )
    session.commit()


def freeze_account(session: Session, account_id: int, *, actor_id: int, reason: str) -> Account:
    account = _locked_account(session, account_id)
    if account.status != AccountStatus.ACTIVE.value:
        raise AdminActionRefused(
            f"Only an active account can be frozen (this one is {account.status})."
        )
    account.status = AccountStatus.FROZEN.value
    account.status_reason = reason
    _finish(session, "admin.account.freeze", actor_id, account, reason=reason)
    return account


def unfreeze_account(session: Session, account_id: int, *, actor_id: int, reason: str) -> Account:
    account = _locked_account(session, account_id)
    if account.status != AccountStatus.FROZEN.value:
        raise AdminActionRefused("That account is not frozen.")
    account.status = AccountStatus.ACTIVE.value
    account.status_reason = None
    _finish(session, "admin.account.unfreeze", actor_id, account, reason=reason)
    return account


def close_blockers(session: Session, account: Account) -> list[str]:
    """Why the account cannot be closed yet (empty: it can)."""
    problems = []
    if account.status == AccountStatus.CLOSED.value:
        problems.append("The account is already closed.")
    if account.balance != 0 or account.available_balance != 0:
        problems.append("The balance must be exactly zero.")
    active_holds = session.scalar(
        select(func.count(Hold.id)).where(Hold.account_id == account.id, Hold.active.is_(True))
    )
    pending_in = session.scalar(
        select(func.count(JournalTransaction.id)).where(
            JournalTransaction.status == TransactionStatus.PENDING.value,
            or_(
                JournalTransaction.source_account_id == account.id,
                JournalTransaction.destination_account_id == account.id,
            ),
        )
    )
    if active_holds or pending_in:
        problems.append("Transfers awaiting review involve this account; decide them first.")
    return problems


def close_account(session: Session, account_id: int, *, actor_id: int, reason: str) -> Account:
    account = _locked_account(session, account_id)
    problems = close_blockers(session, account)
    if problems:
        raise AdminActionRefused(" ".join(problems))
    account.status = AccountStatus.CLOSED.value
    account.status_reason = reason
    account.closed_at = utcnow()
    _finish(session, "admin.account.close", actor_id, account, reason=reason)
    return account
