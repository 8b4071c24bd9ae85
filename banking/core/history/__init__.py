"""What happened on one account: keyset-paged history, pending holds, and the CSV export rows.

Everything is scoped by account id; the caller has already checked the account belongs
to the person asking. Pages walk `ix_entries_account_created_id` backwards on
(created_at, id), never with OFFSET, so the thousandth page costs what the first does.
Every filter is a residual predicate inside that one account's index range: there is
no filter selective enough on its own to deserve another index.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, case, func, or_, select, tuple_
from sqlalchemy.orm import Session, aliased

from banking.core.models import (
    Account,
    AccountKind,
    Entry,
    Hold,
    JournalTransaction,
    TransactionStatus,
    User,
)
from banking.core.models.base import as_utc
from banking.core.money import format_plain
from banking.core.names import KIND_LABELS, kind_label, mask_name
from banking.core.pagination import Cursor

PAGE_SIZE = 25
EXPORT_BATCH = 500
EXPORT_FETCH = 2000  # rows per server-side cursor fetch for the CSV export
_COUNTERPARTY_MEMO = 10_000  # distinct other accounts remembered during one export

@dataclass(frozen=True)
class HistoryFilters:
    """Validated filter values (amounts in minor units, dates in the display timezone)."""

    date_from: date | None = None
    date_to: date | None = None
    direction: str | None = None  # "in" | "out"
    min_amount: int | None = None
    max_amount: int | None = None
    text: str | None = None


@dataclass(frozen=True)
class HistoryRow:
    """One line of history as the customer reads it."""

    entry_id: int | None
    transaction_id: int
    created_at: datetime
    kind: str
    amount: int  # signed: + money in, - money out
    balance_after: int | None  # None for pending (not in the running balance)
    memo: str
    counterparty: str
    pending: bool = False

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)

    @property
    def direction(self) -> str:
        return "in" if self.amount > 0 else "out"


@dataclass(frozen=True)
class HistoryPage:
    rows: list[HistoryRow]
    pending: list[HistoryRow]
    next_cursor: str | None


# Query building -----------------------------------------------------------------------
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


def _movement_columns(account_id: int, other, other_owner) -> tuple:
    """What a history row says about its transaction and the other side (posted or held)."""
    return (
        JournalTransaction.id.label("transaction_id"),
        JournalTransaction.kind,
        JournalTransaction.memo,
        other.number.label("other_number"),
        other.nickname.label("other_nickname"),
        other.kind.label("other_kind"),
        other.owner_id.label("other_owner_id"),
        other_owner.full_name.label("other_owner_name"),
        _own_owner_id(account_id).label("own_owner_id"),
    )


def _entries_query(account_id: int) -> tuple[Select, object]:
    other = aliased(Account, name="other_account")
    other_owner = aliased(User, name="other_owner")
    other_id = case(
        (
            JournalTransaction.source_account_id == account_id,
            JournalTransaction.destination_account_id,
        ),
        else_=JournalTransaction.source_account_id,
    )
    stmt = (
        select(
            Entry.id,
            Entry.created_at,
            Entry.amount,
            Entry.balance_after,
            *_movement_columns(account_id, other, other_owner),
        )
        .join(JournalTransaction, JournalTransaction.id == Entry.transaction_id)
        .outerjoin(other, other.id == other_id)
        .outerjoin(other_owner, other_owner.id == other.owner_id)
        .where(Entry.account_id == account_id)
    )
    return stmt, other


def _apply_filters(
    stmt: Select,
    filters: HistoryFilters,
    *,
    amount,
    created_at,
    other,
    own_owner_id,
    tz: str,
) -> Select:
    start, end = day_bounds(filters.date_from, filters.date_to, tz)
    if start is not None:
        stmt = stmt.where(created_at >= start)
    if end is not None:
        stmt = stmt.where(created_at < end)
    if filters.direction == "in":
        stmt = stmt.where(amount > 0)
    elif filters.direction == "out":
        stmt = stmt.where(amount < 0)
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


def _counterparty(row) -> str:
    """Who was on the other side, in words the customer recognizes (never a full number)."""
    if row.other_number is None:
        return ""
    masked = f"••••{row.other_number[-4:]}"
    if row.other_kind == AccountKind.SYSTEM.value:
        # System accounts are always named (ensure_system_accounts); the bank's own
        # name is configuration, which the core does not read.
        return row.other_nickname or "The bank"
    if row.other_owner_id is not None and row.other_owner_id == row.own_owner_id:
        return f"Your {row.other_nickname or 'account'} {masked}".strip()
    name = mask_name(row.other_owner_name) if row.other_owner_name else "Another customer"
    return f"{name} {masked}"


def _row(row, *, pending: bool = False) -> HistoryRow:
    return HistoryRow(
        entry_id=None if pending else row.id,
        transaction_id=row.transaction_id,
        created_at=as_utc(row.created_at),
        kind=row.kind,
        amount=row.amount,
        balance_after=None if pending else row.balance_after,
        memo=row.memo or "",
        counterparty=_counterparty(row),
        pending=pending,
    )


def entries_select(account_id: int, filters: HistoryFilters, tz: str = "UTC") -> Select:
    """Posted entries of the account, filtered, newest first."""
    stmt, other = _entries_query(account_id)
    stmt = _apply_filters(
        stmt,
        filters,
        amount=Entry.amount,
        created_at=Entry.created_at,
        other=other,
        own_owner_id=_own_owner_id(account_id),
        tz=tz,
    )
    return stmt.order_by(Entry.created_at.desc(), Entry.id.desc())


def pending_rows(
    session: Session, account_id: int, filters: HistoryFilters, tz: str = "UTC"
) -> list[HistoryRow]:
    """Transfers held for review: money reserved from this account, not yet in the balance."""
    other = aliased(Account, name="other_account")
    other_owner = aliased(User, name="other_owner")
    amount = -Hold.amount
    stmt = (
        select(
            Hold.id,
            Hold.created_at,
            amount.label("amount"),
            *_movement_columns(account_id, other, other_owner),
        )
        .join(JournalTransaction, JournalTransaction.id == Hold.transaction_id)
        .outerjoin(other, other.id == JournalTransaction.destination_account_id)
        .outerjoin(other_owner, other_owner.id == other.owner_id)
        .where(
            Hold.account_id == account_id,
            Hold.active.is_(True),
            JournalTransaction.status == TransactionStatus.PENDING.value,
        )
    )
    stmt = _apply_filters(
        stmt,
        filters,
        amount=amount,
        created_at=Hold.created_at,
        other=other,
        own_owner_id=_own_owner_id(account_id),
        tz=tz,
    ).order_by(Hold.created_at.desc(), Hold.id.desc())
    return [_row(row, pending=True) for row in session.execute(stmt)]


def _page_select(
    account_id: int,
    filters: HistoryFilters,
    *,
    cursor: Cursor | None,
    limit: int,
    tz: str,
) -> Select:
    """One page of entries: filter and limit on `entries` alone, then join the page's rows.

    The inner query reads one table, so its only sensible plan is a backward walk of
    `ix_entries_account_created_id` that stops after `limit` matches, whatever the
    filter; the joins that describe each row run for those few rows only.
    """
    start, end = day_bounds(filters.date_from, filters.date_to, tz)
    inner = select(
        Entry.id,
        Entry.created_at,
        Entry.amount,
        Entry.balance_after,
        Entry.transaction_id,
    ).where(Entry.account_id == account_id)
    if start is not None:
        inner = inner.where(Entry.created_at >= start)
    if end is not None:
        inner = inner.where(Entry.created_at < end)
    if filters.direction == "in":
        inner = inner.where(Entry.amount > 0)
    elif filters.direction == "out":
        inner = inner.where(Entry.amount < 0)
    if filters.min_amount is not None:
        inner = inner.where(func.abs(Entry.amount) >= filters.min_amount)
    if filters.max_amount is not None:
        inner = inner.where(func.abs(Entry.amount) <= filters.max_amount)
    if filters.text:
        inner = inner.where(_entry_text_matches(account_id, filters.text))
    if cursor is not None:
        inner = inner.where(
            tuple_(Entry.created_at, Entry.id) < tuple_(cursor.created_at, cursor.id)
        )
    page = inner.order_by(Entry.created_at.desc(), Entry.id.desc()).limit(limit).subquery("page")
    other = aliased(Account, name="other_account")
    other_owner = aliased(User, name="other_owner")
    other_id = case(
        (
            JournalTransaction.source_account_id == account_id,
            JournalTransaction.destination_account_id,
        ),
        else_=JournalTransaction.source_account_id,
    )
    return (
        select(
            page.c.id,
            page.c.created_at,
            page.c.amount,
            page.c.balance_after,
            *_movement_columns(account_id, other, other_owner),
        )
        .select_from(page)
        .join(JournalTransaction, JournalTransaction.id == page.c.transaction_id)
        .outerjoin(other, other.id == other_id)
        .outerjoin(other_owner, other_owner.id == other.owner_id)
        .order_by(page.c.created_at.desc(), page.c.id.desc())
    )


def history_page(
    session: Session,
    account_id: int,
    filters: HistoryFilters | None = None,
    *,
    cursor: Cursor | None = None,
    page_size: int = PAGE_SIZE,
    tz: str = "UTC",
) -> HistoryPage:
    """One page of history, newest first; pending transfers sit on top of the first page."""
    filters = filters or HistoryFilters()
    stmt = _page_select(account_id, filters, cursor=cursor, limit=page_size + 1, tz=tz)
    result = session.execute(stmt).all()
    rows = [_row(row) for row in result[:page_size]]
    next_cursor = None
    if len(result) > page_size:
        last = rows[-1]
        next_cursor = Cursor(last.created_at, last.entry_id).encode()
    pending = pending_rows(session, account_id, filters, tz) if cursor is None else []
    return HistoryPage(rows=rows, pending=pending, next_cursor=next_cursor)


# Export -------------------------------------------------------------------------------
EXPORT_HEADER = ["Date (UTC)", "Type", "Counterparty", "Memo", "Money out", "Money in", "Balance"]


def export_row(row: HistoryRow) -> list[str]:
    """Debit and credit in two non-negative columns, so no amount cell starts with '-'."""
    return [
        row.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        row.kind_label,
        row.counterparty,
        row.memo,
        format_plain(-row.amount) if row.amount < 0 else "",
        format_plain(row.amount) if row.amount > 0 else "",
        format_plain(row.balance_after) if row.balance_after is not None else "",
    ]


def iter_history(
    session: Session,
    account_id: int,
    filters: HistoryFilters | None = None,
    *,
    tz: str = "UTC",
    batch_size: int = EXPORT_BATCH,
) -> Iterator[HistoryRow]:
    """Every matching entry, streamed from a server-side cursor in batches (flat memory)."""
    stmt = entries_select(account_id, filters or HistoryFilters(), tz).execution_options(
        yield_per=batch_size
    )
    result = session.execute(stmt)
    try:
        for row in result:
            yield _row(row)
    finally:
        result.close()


def iter_export_rows(
    session: Session,
    account_id: int,
    filters: HistoryFilters | None = None,
    *,
    tz: str = "UTC",
    batch_size: int = EXPORT_FETCH,
) -> Iterator[list[str]]:
    """The export's rows, exactly as `export_row(_row(row))` would build them, but cheaper.

    An export may be a million rows, so the per-row Python is what limits it: rows are
    read as plain tuples from a server-side cursor (flat memory), amounts are formatted
    with integer arithmetic, and the counterparty text is worked out once per other
    account instead of once per row.
    """
    stmt = entries_select(account_id, filters or HistoryFilters(), tz)
    # Core execution (no ORM result layer) of the same plain-column select.
    result = session.connection().execution_options(yield_per=batch_size).execute(stmt)
    labels = KIND_LABELS
    counterparties: dict[tuple, str] = {}
    try:
        # Columns: entry id, created_at, amount, balance_after, transaction id, kind, memo,
        # then the other side and own owner id (`_movement_columns`) for `_counterparty`.
        for row in result:
            amount = row[2]
            balance = row[3]
            kind = row[5]
            key = row[7:]
            counterparty = counterparties.get(key)
            if counterparty is None:
                if len(counterparties) > _COUNTERPARTY_MEMO:
                    counterparties.clear()
                counterparty = counterparties[key] = _counterparty(row)
            when = row[1]
            if when.tzinfo is not None and when.utcoffset():
                # PostgreSQL returns timestamptz in the connection's TimeZone setting; the
                # column says UTC, so a server not set to UTC must not shift the dates.
                when = when.astimezone(UTC)
            yield [
                # == strftime("%Y-%m-%d %H:%M:%S"), at half the cost
                when.isoformat(" ")[:19],
                labels.get(kind) or kind.capitalize(),
                counterparty,
                row[6] or "",
                format_plain(-amount) if amount < 0 else "",
                format_plain(amount) if amount > 0 else "",
                format_plain(balance) if balance is not None else "",
            ]
    finally:
        result.close()


def export_filename(account: Account, filters: HistoryFilters, today: date) -> str:
    """account-1234-2026-01-01-to-2026-01-31.csv: the last four digits only, never the number."""
    start = filters.date_from.isoformat() if filters.date_from else "start"
    end = (filters.date_to or today).isoformat()
    return f"account-{account.number[-4:]}-{start}-to-{end}.csv"
