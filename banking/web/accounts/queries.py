"""Scoped lookups: every customer view finds its objects through these, never directly.

One helper per object kind, so "another customer's id -> 404" is decided in exactly
one place. A missing object and someone else's object look the same (404), so ids
cannot be probed.
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from banking.core.models import (
    Account,
    AccountKind,
    AccountStatus,
    JournalTransaction,
    Payee,
    ScheduledTransfer,
)
from banking.extensions import db


def _current_user_id(user_id: int | None) -> int:
    if user_id is not None:
        return user_id
    if not current_user.is_authenticated:
        abort(404)
    return current_user.id


def get_own_account_or_404(account_id: int, user_id: int | None = None) -> Account:
    """The signed-in customer's account `account_id` (closed ones included), or 404."""
    owner = _current_user_id(user_id)
    account = db.session.scalar(
        select(Account).where(
            Account.id == account_id,
            Account.owner_id == owner,
            Account.kind != AccountKind.SYSTEM.value,
        )
    )
    if account is None:
        abort(404)
    return account


def own_accounts(user_id: int | None = None, *, include_closed: bool = False) -> list[Account]:
    """The customer's accounts, oldest first (the order the dashboard lists them)."""
    owner = _current_user_id(user_id)
    query = select(Account).where(
        Account.owner_id == owner, Account.kind != AccountKind.SYSTEM.value
    )
    if not include_closed:
        query = query.where(Account.status != AccountStatus.CLOSED.value)
    return list(db.session.scalars(query.order_by(Account.id)))


def get_own_payee_or_404(payee_id: int, user_id: int | None = None) -> Payee:
    """The signed-in customer's saved payee `payee_id`, or 404."""
    owner = _current_user_id(user_id)
    payee = db.session.scalar(select(Payee).where(Payee.id == payee_id, Payee.owner_id == owner))
    if payee is None:
        abort(404)
    return payee


def own_payees(user_id: int | None = None) -> list[Payee]:
    owner = _current_user_id(user_id)
    return list(
        db.session.scalars(
            select(Payee).where(Payee.owner_id == owner).order_by(Payee.nickname, Payee.id)
        )
    )


def get_own_schedule_or_404(
    schedule_id: int, user_id: int | None = None, *, lock: bool = False
) -> ScheduledTransfer:
    """The signed-in customer's scheduled transfer, or 404.

    `lock` takes the row lock a status change needs, so it waits for a runner that is
    posting this schedule right now (only the schedule row: its joined accounts are not
    locked, and PostgreSQL refuses FOR UPDATE across an outer join).
    """
    owner = _current_user_id(user_id)
    stmt = select(ScheduledTransfer).where(
        ScheduledTransfer.id == schedule_id, ScheduledTransfer.owner_id == owner
    )
    if lock:
        stmt = stmt.options(lazyload("*")).with_for_update(of=ScheduledTransfer)
    schedule = db.session.scalar(stmt)
    if schedule is None:
        abort(404)
    return schedule


def own_schedules(user_id: int | None = None) -> list[ScheduledTransfer]:
    """The customer's scheduled transfers, newest first."""
    owner = _current_user_id(user_id)
    return list(
        db.session.scalars(
            select(ScheduledTransfer)
            .where(ScheduledTransfer.owner_id == owner)
            .order_by(ScheduledTransfer.created_at.desc(), ScheduledTransfer.id.desc())
        )
    )


def get_own_transaction_or_404(
    transaction_id: int, user_id: int | None = None
) -> JournalTransaction:
    """A transaction the signed-in customer initiated (the transfer result page), or 404."""
    owner = _current_user_id(user_id)
    txn = db.session.scalar(
        select(JournalTransaction).where(
            JournalTransaction.id == transaction_id, JournalTransaction.initiator_id == owner
        )
    )
    if txn is None:
        abort(404)
    return txn
