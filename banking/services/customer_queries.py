"""Scoped reads for a customer: their accounts, payees, schedules and transfers.

Every lookup takes the owner's id and finds the object only among that owner's: a
missing object and someone else's raise the same `NotFound`, so ids cannot be probed.
One function per object kind, so "another customer's id" is decided in one place;
the web turns `NotFound` into a 404 (`banking.web.accounts.queries`), a command or a
task can turn it into its own answer.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from banking.core.errors import DomainError
from banking.core.models import (
    Account,
    AccountKind,
    AccountStatus,
    JournalTransaction,
    Payee,
    ScheduledTransfer,
    TransactionKind,
    TransactionStatus,
)
from banking.extensions import db

_SENT = (TransactionStatus.POSTED.value, TransactionStatus.PENDING.value)


class NotFound(DomainError):
    """No such object for this owner (it may exist, but it is not theirs to see)."""

    code = "not_found"
    message = "That page does not exist."


def _one(stmt):
    """The one row `stmt` selects for this owner, or NotFound."""
    obj = db.session.scalar(stmt)
    if obj is None:
        raise NotFound()
    return obj


def own_account(owner_id: int, account_id: int) -> Account:
    """The owner's account `account_id` (closed ones included); system accounts never."""
    return _one(
        select(Account).where(
            Account.id == account_id,
            Account.owner_id == owner_id,
            Account.kind != AccountKind.SYSTEM.value,
        )
    )


def own_accounts(owner_id: int, *, include_closed: bool = False) -> list[Account]:
    """The owner's accounts, oldest first (the order the dashboard lists them)."""
    query = select(Account).where(
        Account.owner_id == owner_id, Account.kind != AccountKind.SYSTEM.value
    )
    if not include_closed:
        query = query.where(Account.status != AccountStatus.CLOSED.value)
    return list(db.session.scalars(query.order_by(Account.id)))


def own_payee(owner_id: int, payee_id: int) -> Payee:
    """The owner's saved payee `payee_id`."""
    return _one(select(Payee).where(Payee.id == payee_id, Payee.owner_id == owner_id))


def own_payees(owner_id: int) -> list[Payee]:
    """The owner's saved payees, by nickname (the order the payees page lists them)."""
    return list(
        db.session.scalars(
            select(Payee).where(Payee.owner_id == owner_id).order_by(Payee.nickname, Payee.id)
        )
    )


def own_schedule(owner_id: int, schedule_id: int, *, lock: bool = False) -> ScheduledTransfer:
    """The owner's scheduled transfer.

    `lock` takes the row lock a status change needs, so it waits for a runner that is
    posting this schedule right now (only the schedule row: its joined accounts are not
    locked, and PostgreSQL refuses FOR UPDATE across an outer join).
    """
    stmt = select(ScheduledTransfer).where(
        ScheduledTransfer.id == schedule_id, ScheduledTransfer.owner_id == owner_id
    )
    if lock:
        stmt = stmt.options(lazyload("*")).with_for_update(of=ScheduledTransfer)
    return _one(stmt)


def own_schedules(owner_id: int) -> list[ScheduledTransfer]:
    """The owner's scheduled transfers, newest first."""
    return list(
        db.session.scalars(
            select(ScheduledTransfer)
            .where(ScheduledTransfer.owner_id == owner_id)
            .order_by(ScheduledTransfer.created_at.desc(), ScheduledTransfer.id.desc())
        )
    )


def own_transaction(owner_id: int, transaction_id: int) -> JournalTransaction:
    """A transaction the owner initiated (the transfer result page shows only those)."""
    return _one(
        select(JournalTransaction).where(
            JournalTransaction.id == transaction_id,
            JournalTransaction.initiator_id == owner_id,
        )
    )


def last_source_for(owner_id: int, destination_id: int) -> int | None:
    """The owner's account that most recently sent a transfer to `destination_id` (the
    "From" a Pay link preselects), or None when they never paid it."""
    return db.session.scalar(
        select(JournalTransaction.source_account_id)
        .where(
            JournalTransaction.initiator_id == owner_id,
            JournalTransaction.destination_account_id == destination_id,
            # Sent or awaiting review (the daily limit's partial index covers these).
            JournalTransaction.kind == TransactionKind.TRANSFER.value,
            JournalTransaction.status.in_(_SENT),
        )
        .order_by(JournalTransaction.created_at.desc(), JournalTransaction.id.desc())
        .limit(1)
    )


def repeatable_transfer(owner_id: int, transaction_id: int) -> JournalTransaction | None:
    """A transfer the owner sent to someone else's account, to fill "Pay again" from, or
    None: someone else's, a movement of another kind, or one between the owner's own
    accounts all look the same (the form simply opens empty), so ids cannot be probed."""
    txn = db.session.scalar(
        select(JournalTransaction)
        .where(
            JournalTransaction.id == transaction_id,
            JournalTransaction.initiator_id == owner_id,
            JournalTransaction.kind == TransactionKind.TRANSFER.value,
        )
        .options(lazyload(JournalTransaction.entries))
    )
    if txn is None:
        return None
    source, destination = txn.source_account, txn.destination_account
    if source.owner_id != owner_id or destination.owner_id in (owner_id, None):
        return None
    if destination.kind == AccountKind.SYSTEM.value:
        return None
    return txn
