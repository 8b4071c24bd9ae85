"""Admin services on accounts: find, freeze, unfreeze, close.

Status changes take the same row lock the ledger takes, so a freeze cannot interleave
with a posting: a transfer either finished before the freeze or sees the frozen status.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from banking.core import ledger
from banking.core.models import Account, AccountStatus, User
from banking.services import audit
from banking.services.admin import guards
from banking.services.admin.errors import AdminActionRefused
from banking.services.admin.pagination import Page, paginate


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


def _record(session: Session, action: str, actor_id: int, account: Account, **details) -> None:
    audit.record(
        action,
        actor_id=actor_id,
        target_type="account",
        target_id=account.id,
        success=True,
        details={"number": account.masked_number, **details},
        session=session,
    )


def _finish(session: Session, action: str, actor_id: int, account: Account, **details) -> None:
    _record(session, action, actor_id, account, **details)
    session.commit()


def freeze_account(session: Session, account_id: int, *, actor_id: int, reason: str) -> Account:
    guards.refuse_own_account(session, account_id, actor_id)
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
    """Let money move again; never on the admin's own account (they froze for a reason)."""
    guards.refuse_own_account(session, account_id, actor_id)
    account = _locked_account(session, account_id)
    if account.status != AccountStatus.FROZEN.value:
        raise AdminActionRefused("That account is not frozen.")
    account.status = AccountStatus.ACTIVE.value
    account.status_reason = None
    _finish(session, "admin.account.unfreeze", actor_id, account, reason=reason)
    return account


# How the admin pages phrase each reason the ledger gives for not closing an account.
CLOSE_PROBLEMS = {
    ledger.CloseBlocker.ALREADY_CLOSED: "The account is already closed.",
    ledger.CloseBlocker.FROZEN: "The account is frozen.",
    ledger.CloseBlocker.BALANCE: "The balance must be exactly zero.",
    ledger.CloseBlocker.PENDING_OUT: "A transfer from this account is awaiting review; decide it.",
    ledger.CloseBlocker.PENDING_IN: "A transfer to this account is awaiting review; decide it.",
}


def close_blockers(session: Session, account: Account) -> list[str]:
    """Why the account cannot be closed yet (empty: it can), for the account page.

    An unlocked read, only to decide whether to offer the Close button; the close itself
    re-checks under the row lock (`ledger.close_account`).
    """
    blockers = ledger.close_blockers(session, account, allow_frozen=True)
    return [CLOSE_PROBLEMS[blocker] for blocker in blockers]


def close_account(session: Session, account_id: int, *, actor_id: int, reason: str) -> Account:
    """Close an account for good (a frozen one too), through the ledger's locked close."""
    guards.refuse_own_account(session, account_id, actor_id)
    account = session.get(Account, account_id)
    if account is None:
        raise AdminActionRefused("That account no longer exists.")
    if account.is_system:  # never changes, so an unlocked read is enough to refuse
        raise AdminActionRefused("The bank's system accounts cannot be changed here.")

    def audit_closed(session: Session, closed: Account) -> None:
        _record(session, "admin.account.close", actor_id, closed, reason=reason)

    try:
        return ledger.close_account(
            session, account_id, allow_frozen=True, reason=reason, on_closed=audit_closed
        )
    except ledger.AccountNotClosable as exc:
        raise AdminActionRefused(
            " ".join(CLOSE_PROBLEMS[blocker] for blocker in exc.blockers)
        ) from exc
