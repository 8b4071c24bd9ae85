"""Customer account services: opening, renaming and closing accounts, and saved payees.

No money moves here (that is `banking.core.ledger`, through `banking.services.transfers`).
Each customer action owns its unit of work on the app's session: it changes one thing,
writes its audit row in the same database transaction and commits (the commit event in
`banking.caching` drops the cached dashboard), or rolls back and raises
`AccountActionRefused`. Views only call them; they never commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from banking.core import ledger
from banking.core.account_numbers import new_account_number
from banking.core.errors import DomainError
from banking.core.models import (
    Account,
    AccountKind,
    AccountStatus,
    Payee,
    ScheduledTransfer,
    ScheduleStatus,
)
from banking.core.money import SUPPORTED_CURRENCIES
from banking.extensions import db
from banking.services import audit

log = logging.getLogger(__name__)
MAX_OPEN_ACCOUNTS = 10  # a customer with more is almost certainly a script
FALLBACK_CURRENCY = "USD"


class AccountActionRefused(DomainError):
    """An account or payee change refused for a reason the customer can act on."""

    code = "account_action_refused"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message, field=field)


def default_currency() -> str:
    """The currency new customers' first account is opened in (config DEFAULT_CURRENCY).

    Only a supported currency has the bank's system accounts behind it (deposits,
    interest); a misconfigured value falls back to USD with a warning rather than
    opening accounts no money could ever be paid into.
    """
    currency = str(current_app.config.get("DEFAULT_CURRENCY") or FALLBACK_CURRENCY).upper()
    if currency not in SUPPORTED_CURRENCIES:
        log.warning(
            "DEFAULT_CURRENCY is not supported; using USD",
            extra={"currency": currency[:8], "supported": ",".join(SUPPORTED_CURRENCIES)},
        )
        return FALLBACK_CURRENCY
    return currency


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


def open_customer_account(owner_id: int, *, kind: str, currency: str, nickname: str) -> Account:
    """A customer opens another account from the dashboard (audited, committed)."""
    with _refusals_roll_back():
        return _open_customer_account(db.session, owner_id, kind, currency, nickname)


def _open_customer_account(
    session: Session, owner_id: int, kind: str, currency: str, nickname: str
) -> Account:
    if kind not in (AccountKind.CHECKING.value, AccountKind.SAVINGS.value):
        raise AccountActionRefused("Choose a checking or savings account.", "kind")
    count = session.scalar(
        select(func.count())
        .select_from(Account)
        .where(Account.owner_id == owner_id, Account.status != AccountStatus.CLOSED.value)
    )
    if (count or 0) >= MAX_OPEN_ACCOUNTS:
        raise AccountActionRefused(
            f"You can have at most {MAX_OPEN_ACCOUNTS} open accounts; close one first."
        )
    account = open_account(
        session, owner_id, kind=kind, currency=currency, nickname=nickname.strip()
    )
    audit.record_and_commit(
        session,
        "account.opened",
        owner_id,
        "account",
        account.id,
        details={"kind": kind, "currency": currency},
    )
    return account


def rename_account(account: Account, nickname: str) -> None:
    """Give an account a nickname the customer will recognise (an empty one uses the default)."""
    account.nickname = nickname.strip()
    audit.record_and_commit(db.session, "account.renamed", account.owner_id, "account", account.id)


# What the customer reads for each reason the ledger gives for not closing an account.
CLOSE_REFUSALS = {
    ledger.CloseBlocker.ALREADY_CLOSED: "That account is already closed.",
    ledger.CloseBlocker.FROZEN: "A frozen account cannot be closed online. Please contact us.",
    ledger.CloseBlocker.PENDING_OUT: (
        "A transfer from this account is awaiting review; wait until it is decided."
    ),
    ledger.CloseBlocker.PENDING_IN: (
        "A transfer to this account is awaiting review; wait until it is decided."
    ),
    ledger.CloseBlocker.BALANCE: (
        "Only an account with a zero balance can be closed. Move the money out first."
    ),
}


def close_account(account: Account) -> None:
    """Close an empty account; money, holds or schedules still attached must be dealt with first.

    The balance and pending-transfer checks and the status change happen in
    `ledger.close_account`, under the same row lock a transfer takes, so a transfer
    cannot land between the check and the close. The schedules check stays here: it
    is about the customer's standing instructions, not money under lock (a schedule
    that still fires on a closed account is refused by the ledger anyway).

    Only the owner's *own* schedules count, the ones listed on their Scheduled page:
    another customer's schedule paying into this account used to block the close with a
    message about schedules the owner could neither see nor cancel. Such a schedule
    fails at its next run instead ("The receiving account is closed."), recorded on the
    schedule and shown to the customer who made it.
    """
    session = db.session
    schedule = session.scalar(
        select(ScheduledTransfer.id)
        .where(
            ScheduledTransfer.owner_id == account.owner_id,
            (ScheduledTransfer.from_account_id == account.id)
            | (ScheduledTransfer.to_account_id == account.id),
            ScheduledTransfer.status.in_(
                [ScheduleStatus.ACTIVE.value, ScheduleStatus.PAUSED.value]
            ),
        )
        .limit(1)
    )
    # Only for an active account: a closed or frozen one gets the ledger's reason instead.
    if schedule is not None and account.status == AccountStatus.ACTIVE.value:
        raise AccountActionRefused(
            "This account has scheduled transfers; cancel them before closing it."
        )

    def audit_closed(session: Session, closed: Account) -> None:
        audit.record(
            "account.closed",
            actor_id=closed.owner_id,
            target_type="account",
            target_id=closed.id,
            success=True,
            session=session,
        )

    try:
        ledger.close_account(session, account.id, owner_id=account.owner_id, on_closed=audit_closed)
    except ledger.AccountNotClosable as exc:
        # The most actionable reason first (the dict's order): a hold explains the balance.
        message = next(text for code, text in CLOSE_REFUSALS.items() if code in exc.blockers)
        raise AccountActionRefused(message) from exc


@contextmanager
def _refusals_roll_back() -> Iterator[None]:
    """A refused action leaves nothing behind: whatever it had added is rolled back."""
    try:
        yield
    except AccountActionRefused:
        db.session.rollback()
        raise


# Payees ---------------------------------------------------------------------------------
def add_payee(owner_id: int, *, nickname: str, account_number: str) -> Payee:
    """Save another customer's account under a nickname (never one's own, never twice).

    The number is validated (format + Luhn) before it is looked up, like a transfer's.
    """
    with _refusals_roll_back():
        return _add_payee(db.session, owner_id, nickname, account_number)


def _add_payee(session: Session, owner_id: int, nickname: str, account_number: str) -> Payee:
    from banking.services.transfers import TransferRefused, find_destination

    try:
        account = find_destination(account_number)
    except TransferRefused as exc:
        raise AccountActionRefused(exc.message, "account_number") from exc
    if account.owner_id == owner_id:
        raise AccountActionRefused(
            "That is one of your own accounts; use a transfer between your accounts.",
            "account_number",
        )
    if account.status == AccountStatus.CLOSED.value:
        raise AccountActionRefused("That account is closed.", "account_number")
    existing = session.scalar(
        select(Payee.id).where(Payee.owner_id == owner_id, Payee.account_id == account.id)
    )
    if existing is not None:
        raise AccountActionRefused("You have already saved that account.", "account_number")
    payee = Payee(owner_id=owner_id, account_id=account.id, nickname=nickname.strip())
    session.add(payee)
    try:
        session.flush()
    except IntegrityError as exc:  # a double submit racing the check above
        session.rollback()
        raise AccountActionRefused(
            "You have already saved that account.", "account_number"
        ) from exc
    audit.record_and_commit(session, "payee.added", owner_id, "payee", payee.id)
    return payee


def rename_payee(payee: Payee, nickname: str) -> None:
    payee.nickname = nickname.strip()
    audit.record_and_commit(db.session, "payee.renamed", payee.owner_id, "payee", payee.id)


def delete_payee(payee: Payee) -> None:
    db.session.delete(payee)
    audit.record_and_commit(db.session, "payee.deleted", payee.owner_id, "payee", payee.id)
