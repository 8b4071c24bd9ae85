"""What a customer has sent: the running totals behind the daily limit.

Every customer transfer carries `sent_total`, the initiator's total of everything they
have ever sent, this transfer included (held transfers count from the moment they are
made). It is written under the customer's user lock, so one customer's totals rise in
the order their postings were serialized, and their timestamps never go back (`stamp`).
That makes the daily limit a difference, not a SUM over the day's rows:

    sent in the window = latest total - last total before the window
                         - holds in the window that were given back (rejected, expired)

Two probes of one index and a scan of a small partial index: the same cost for a
customer who sends two transfers a day as for one who sends twenty thousand (the old
24-hour SUM read every one of them, under the lock, on every transfer).

`flask ledger verify --deep` proves the totals (`integrity.journal.sent_totals`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ScalarSelect, Select, bindparam, func, null, select
from sqlalchemy.orm import Session

from banking.core.models import JournalTransaction, TransactionKind, TransactionStatus
from banking.core.models.base import as_utc

TRANSFER = TransactionKind.TRANSFER.value
RELEASED = [TransactionStatus.REJECTED.value, TransactionStatus.EXPIRED.value]


def counts(kind: str, initiator_id: int | None) -> bool:
    """Whether a movement carries a running total: a transfer a customer made."""
    return kind == TRANSFER and initiator_id is not None


def _latest(user_id: Any, column: Any, before: Any = None) -> ScalarSelect:
    """One column of the customer's latest transfer (before `before`, if given)."""
    query = select(column).where(
        JournalTransaction.initiator_id == user_id, JournalTransaction.sent_total.is_not(None)
    )
    if before is not None:
        query = query.where(JournalTransaction.created_at < before)
    return (
        query.order_by(JournalTransaction.created_at.desc(), JournalTransaction.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def latest_total(user_id: Any) -> Any:
    """SQL: everything the customer has sent so far (0 before their first transfer)."""
    return func.coalesce(_latest(user_id, JournalTransaction.sent_total), 0)


def latest_at(user_id: Any) -> ScalarSelect:
    """SQL: when the customer's latest transfer was stamped (NULL before the first)."""
    return _latest(user_id, JournalTransaction.created_at)


def spent_since(user_id: Any, since: Any) -> Any:
    """SQL: the customer's posted or held transfers stamped at or after `since`."""
    # The kind and statuses are written into the SQL text, not bound: PostgreSQL uses a
    # partial index only when the planner sees the constants its WHERE names.
    released = (
        select(func.coalesce(func.sum(JournalTransaction.amount), 0))
        .where(
            JournalTransaction.initiator_id == user_id,
            JournalTransaction.kind == bindparam("sent_kind", TRANSFER, literal_execute=True),
            JournalTransaction.status.in_(
                bindparam("released_statuses", RELEASED, expanding=True, literal_execute=True)
            ),
            JournalTransaction.created_at >= since,
        )
        .scalar_subquery()
    )
    before = func.coalesce(_latest(user_id, JournalTransaction.sent_total, since), 0)
    return latest_total(user_id) - before - released


@dataclass(frozen=True, slots=True)
class Sent:
    """A customer's running total as their next transfer reads it, under their lock."""

    total: int  # everything sent so far
    last_at: datetime | None  # the latest transfer's stamp
    spent: int | None  # sent since the `since` asked for (None if not asked)

    def next_total(self, amount: int) -> int:
        return self.total + amount

    def stamp(self, now: datetime) -> datetime:
        """The time to stamp the next transfer: now, or the latest one's time if the clock
        went back (a clock step, a test's clock). The window arithmetic needs one
        customer's stamps in the order of their totals."""
        if self.last_at is None:
            return now
        return max(now, as_utc(self.last_at))


def state_query(user_id: Any, since: Any = None) -> Select:
    """SELECT total, last_at, spent (NULL when `since` is None): one round trip."""
    columns = [latest_total(user_id), latest_at(user_id)]
    columns.append(spent_since(user_id, since) if since is not None else null())
    return select(*columns)


def read(session: Session, user_id: int, since: datetime | None = None) -> Sent:
    """The customer's running total (and the spend since `since`), on the ORM path."""
    total, last_at, spent = session.execute(state_query(user_id, since)).one()
    return Sent(int(total or 0), last_at, None if spent is None else int(spent))
