"""Scoped lookups for the customer views: the signed-in customer's objects, or a 404.

The reads and the "is it theirs" rule live in `banking.services.customer_queries`; this
module only supplies the signed-in user's id and turns its `NotFound` into a 404. A
missing object and someone else's look the same, so ids cannot be probed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import abort
from flask_login import current_user

from banking.core.models import Account, JournalTransaction, Payee, ScheduledTransfer
from banking.services import customer_queries as q

T = TypeVar("T")


def _current_user_id(user_id: int | None) -> int:
    if user_id is not None:
        return user_id
    if not current_user.is_authenticated:
        abort(404)
    return current_user.id


def _or_404(find: Callable[[], T]) -> T:
    try:
        return find()
    except q.NotFound:
        abort(404)


def get_own_account_or_404(account_id: int, user_id: int | None = None) -> Account:
    """The signed-in customer's account `account_id` (closed ones included), or 404."""
    owner = _current_user_id(user_id)
    return _or_404(lambda: q.own_account(owner, account_id))


def own_accounts(user_id: int | None = None, *, include_closed: bool = False) -> list[Account]:
    """The customer's accounts, oldest first (the order the dashboard lists them)."""
    return q.own_accounts(_current_user_id(user_id), include_closed=include_closed)


def get_own_payee_or_404(payee_id: int, user_id: int | None = None) -> Payee:
    """The signed-in customer's saved payee `payee_id`, or 404."""
    owner = _current_user_id(user_id)
    return _or_404(lambda: q.own_payee(owner, payee_id))


def own_payees(user_id: int | None = None) -> list[Payee]:
    return q.own_payees(_current_user_id(user_id))


def get_own_schedule_or_404(
    schedule_id: int, user_id: int | None = None, *, lock: bool = False
) -> ScheduledTransfer:
    """The signed-in customer's scheduled transfer, or 404 (`lock`: see the service)."""
    owner = _current_user_id(user_id)
    return _or_404(lambda: q.own_schedule(owner, schedule_id, lock=lock))


def own_schedules(user_id: int | None = None) -> list[ScheduledTransfer]:
    """The customer's scheduled transfers, newest first."""
    return q.own_schedules(_current_user_id(user_id))


def get_own_transaction_or_404(
    transaction_id: int, user_id: int | None = None
) -> JournalTransaction:
    """A transaction the signed-in customer initiated (the transfer result page), or 404."""
    owner = _current_user_id(user_id)
    return _or_404(lambda: q.own_transaction(owner, transaction_id))
