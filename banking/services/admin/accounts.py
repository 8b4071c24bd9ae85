"""Admin and operator use cases on accounts: find, freeze, unfreeze, close.

The admin pages and `flask accounts ...` call these same functions, so an operation has
one audit action, one row lock and one set of refusals whichever door it came through.
Status changes take the same row lock the ledger takes, so a freeze cannot interleave
with a posting: a transfer either finished before the freeze or sees the frozen status.
Each change is its own unit of work (`work.unit_of_work`): committed with its audit row,
or rolled back with it when refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, contains_eager

from banking.core import ledger
from banking.core import notifications as notices
from banking.core.account_numbers import normalize_account_number
from banking.core.models import Account, AccountKind, AccountStatus, Entry, Hold, User
from banking.services.actor import Actor
from banking.services.admin import guards, work
from banking.services.admin.errors import AdminActionRefused
from banking.services.admin.pagination import Page, paginate

RECENT_ENTRIES = 25
FREEZE = "admin.account.freeze"
UNFREEZE = "admin.account.unfreeze"
CLOSE = "admin.account.close"


# Reading ------------------------------------------------------------------------------
def search_accounts(text: str | None, cursor: str | None) -> Page:
    """Customers' accounts by number (digits, exact or prefix) or the owner's name or email.

    The bank's own accounts are not in these pages: `system_accounts` lists them apart, so
    an admin never mistakes the external-cash account's large negative balance for a
    customer's overdraft."""
    query = (
        select(Account)
        .outerjoin(User, Account.owner_id == User.id)
        .options(contains_eager(Account.owner))
        .where(Account.kind != AccountKind.SYSTEM.value)
    )
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
    return paginate(work.session(), query, Account, cursor, time_column="opened_at")


def system_accounts(text: str | None = None) -> list[Account]:
    """The bank's own accounts (a few per currency: no paging), the default currency's
    first, then by currency and role; with `text`, those whose number starts with its
    digits or whose name contains it."""
    query = select(Account).where(Account.kind == AccountKind.SYSTEM.value)
    if text:
        digits = text.replace(" ", "").replace("-", "")
        query = query.where(
            or_(
                Account.number.like(f"{_escape_like(digits)}%", escape="\\"),
                func.lower(Account.nickname).like(f"%{_escape_like(text.lower())}%", escape="\\"),
            )
        )
    rows = work.session().scalars(query.order_by(Account.currency, Account.id))
    default = current_app.config.get("DEFAULT_CURRENCY", "USD")
    # sorted() is stable: the other currencies keep the query's order.
    return sorted(rows, key=lambda account: account.currency != default)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_account(account_id: int) -> Account | None:
    return work.session().get(Account, account_id)


def find_customer_account(number: str) -> Account | None:
    """A customer's account by its number as typed (spaces and dashes allowed)."""
    account = work.session().scalar(
        select(Account).where(Account.number == normalize_account_number(number))
    )
    if account is None or account.is_system:
        return None
    return account


@dataclass
class AccountDetail:
    account: Account
    entries: list[Entry]
    holds: list[Hold]
    close_blockers: list[str]


def account_detail(account_id: int) -> AccountDetail | None:
    """What the account page shows: recent entries, active holds, why it cannot close."""
    account = find_account(account_id)
    if account is None:
        return None
    session = work.session()
    entries = session.scalars(
        select(Entry)
        .where(Entry.account_id == account.id)
        .order_by(Entry.created_at.desc(), Entry.id.desc())
        .limit(RECENT_ENTRIES)
    ).all()
    holds = session.scalars(
        select(Hold).where(Hold.account_id == account.id, Hold.active.is_(True))
    ).all()
    return AccountDetail(account, list(entries), list(holds), close_blockers(session, account))


# Changing -----------------------------------------------------------------------------
def _locked_account(session: Session, account_id: int) -> Account:
    account = work.locked(session, Account, account_id, missing="That account no longer exists.")
    if account.is_system:
        raise AdminActionRefused("The bank's system accounts cannot be changed here.")
    return account


def _record(session: Session, action: str, actor: Actor, account: Account, **details) -> None:
    work.record(
        session,
        action,
        actor,
        target_type="account",
        target_id=account.id,
        details={"number": account.masked_number, **details},
    )


def freeze_account(account_id: int, *, actor: Actor, reason: str) -> Account:
    """Stop all money movement on an active account; refused if it is not active."""
    with work.unit_of_work() as session:
        guards.refuse_own_account(session, account_id, actor.user_id)
        account = _locked_account(session, account_id)
        if account.status != AccountStatus.ACTIVE.value:
            raise AdminActionRefused(
                f"Only an active account can be frozen (this one is {account.status})."
            )
        account.status = AccountStatus.FROZEN.value
        account.status_reason = reason
        _record(session, FREEZE, actor, account, reason=reason)
        _notify_owner(session, account, frozen=True)
    return account


def unfreeze_account(account_id: int, *, actor: Actor, reason: str) -> Account:
    """Let money move again; never on the admin's own account (they froze for a reason)."""
    with work.unit_of_work() as session:
        guards.refuse_own_account(session, account_id, actor.user_id)
        account = _locked_account(session, account_id)
        if account.status != AccountStatus.FROZEN.value:
            raise AdminActionRefused("That account is not frozen.")
        account.status = AccountStatus.ACTIVE.value
        account.status_reason = None
        _record(session, UNFREEZE, actor, account, reason=reason)
        _notify_owner(session, account, frozen=False)
    return account


def _notify_owner(session: Session, account: Account, *, frozen: bool) -> None:
    """The owner's notice, committed with the change (system accounts have no owner);
    `work.unit_of_work` queues its email after the commit."""
    if account.owner_id is None:
        return
    session.add(
        notices.account_status(
            account.owner_id,
            frozen=frozen,
            account=notices.account_label(account.display_name, account.masked_number),
            account_id=account.id,
        )
    )


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


def close_account(account_id: int, *, actor: Actor, reason: str) -> Account:
    """Close an account for good (a frozen one too), through the ledger's locked close."""
    with work.unit_of_work() as session:
        guards.refuse_own_account(session, account_id, actor.user_id)
        account = session.get(Account, account_id)
        if account is None:
            raise AdminActionRefused("That account no longer exists.")
        if account.is_system:  # never changes, so an unlocked read is enough to refuse
            raise AdminActionRefused("The bank's system accounts cannot be changed here.")

        def audit_closed(session: Session, closed: Account) -> None:
            _record(session, CLOSE, actor, closed, reason=reason)

        try:
            return ledger.close_account(
                session, account_id, allow_frozen=True, reason=reason, on_closed=audit_closed
            )
        except ledger.AccountNotClosable as exc:
            raise AdminActionRefused(
                " ".join(CLOSE_PROBLEMS[blocker] for blocker in exc.blockers)
            ) from exc
