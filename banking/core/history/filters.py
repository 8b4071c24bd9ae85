"""What the customer asked to see: the filter values and the SQL predicates they become.

Every filter is a residual predicate inside one account's index range: there is no
filter selective enough on its own to deserve another index.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, case, false, func, or_, select
from sqlalchemy.orm import aliased

from banking.core.models import Account, AccountKind, Entry, JournalTransaction

DECLINED_ONLY = "declined"


@dataclass(frozen=True)
class HistoryFilters:
    """Validated filter values (amounts in minor units, dates in the display timezone)."""

    date_from: date | None = None
    date_to: date | None = None
    direction: str | None = None  # "in" | "out" | "declined" (held transfers not sent)
    min_amount: int | None = None
    max_amount: int | None = None
    text: str | None = None
    # A category key (`banking.core.categories`): worked out per row in Python (it depends
    # on the customer's overrides), so the page reads on until it has enough (`queries`).
    category: str | None = None


def day_bounds(
    date_from: date | None, date_to: date | None, tz: str = "UTC"
) -> tuple[datetime | None, datetime | None]:
    """[start, end) in UTC for an inclusive range of days in the customer's timezone."""
    zone = ZoneInfo(tz)
    start = (
        datetime.combine(date_from, time.min, tzinfo=zone).astimezone(UTC) if date_from else None
    )
    end = (
        datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
        if date_to
        else None
    )
    return start, end


def _own_owner_id(account_id: int):
    """The account holder, as a one-off subquery: a join here would stop PostgreSQL from
    reading entries straight off the index in page order."""
    return select(Account.owner_id).where(Account.id == account_id).scalar_subquery()


def _apply_filters(
    stmt: Select,
    filters: HistoryFilters,
    *,
    amount,
    created_at,
    other,
    own_owner_id,
    tz: str,
    posted: bool = True,
) -> Select:
    """`filters` as WHERE clauses on posted entries, or (`posted=False`) on held transfers."""
    start, end = day_bounds(filters.date_from, filters.date_to, tz)
    if start is not None:
        stmt = stmt.where(created_at >= start)
    if end is not None:
        stmt = stmt.where(created_at < end)
    if filters.direction == "in":
        stmt = stmt.where(amount > 0)
    elif filters.direction == "out":
        stmt = stmt.where(amount < 0)
    elif filters.direction == DECLINED_ONLY and posted:
        stmt = stmt.where(false())  # a declined transfer moved no money: it has no entry
    if filters.min_amount is not None:
        stmt = stmt.where(func.abs(amount) >= filters.min_amount)
    if filters.max_amount is not None:
        stmt = stmt.where(func.abs(amount) <= filters.max_amount)
    if filters.text:
        stmt = stmt.where(_text_matches(filters.text, other, own_owner_id=own_owner_id))
    return stmt


def _text_matches(text: str, other, *, own_owner_id, txn=JournalTransaction):
    """Memo, or the counterparty as the customer sees it (see `_counterparty`).

    Another customer's name is shown masked, so it is not searchable either: searching
    must not reveal more than the page does. Their number matches on its last 4 digits.
    """
    needle = text.strip().lower()
    visible_name = or_(other.kind == AccountKind.SYSTEM.value, other.owner_id == own_owner_id)
    clauses = [
        func.lower(txn.memo).contains(needle, autoescape=True),
        and_(visible_name, func.lower(other.nickname).contains(needle, autoescape=True)),
    ]
    if len(needle) == 4 and needle.isascii() and needle.isdigit():
        clauses.append(other.number.endswith(needle))
    return or_(*clauses)


def _entry_text_matches(account_id: int, text: str):
    """The text filter as a per-entry check: does *this* entry's transaction match?

    A scalar subquery correlated on the entry (not EXISTS, which PostgreSQL turns into a
    join it may reorder): the planner cannot estimate `ILIKE '%coffee%'`, and as a join
    it guessed "134 rows" and scanned the whole journal. As a per-row check it can only
    walk the account's entries in index order and stop once a page is full.
    """
    txn = aliased(JournalTransaction, name="match_txn")
    other = aliased(Account, name="match_other")
    other_id = case(
        (txn.source_account_id == account_id, txn.destination_account_id),
        else_=txn.source_account_id,
    )
    matched = (
        select(txn.id)
        .outerjoin(other, other.id == other_id)
        .where(
            txn.id == Entry.transaction_id,
            _text_matches(text, other, own_owner_id=_own_owner_id(account_id), txn=txn),
        )
        .correlate(Entry)
        .limit(1)
        .scalar_subquery()
    )
    return matched.is_not(None)
