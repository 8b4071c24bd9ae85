"""Reading history: keyset pages, pending holds, and the plain select the export streams.

Pages walk `ix_entries_account_created_id` backwards on (created_at, id), never with
OFFSET, so the thousandth page costs what the first does.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import Select, and_, case, false, func, or_, select, tuple_
from sqlalchemy.orm import Session, aliased

from banking.core.history.filters import (
    DECLINED_ONLY,
    HistoryFilters,
    _apply_filters,
    _entry_text_matches,
    _own_owner_id,
    day_bounds,
)
from banking.core.history.rows import (
    DECLINED_STATUSES,
    HistoryPage,
    HistoryRow,
    Overrides,
    _declined_row,
    _movement_columns,
    _row,
)
from banking.core.models import (
    Account,
    Entry,
    Hold,
    JournalTransaction,
    TransactionStatus,
    User,
)
from banking.core.pagination import Cursor

PAGE_SIZE = 25
# A category filter is applied to rows after they are read (a category is worked out from
# the merchant and the customer's overrides): one page reads at most this many entries,
# in batches, and a page that ran out of them ends with a link to read on from there.
CATEGORY_SCAN_MAX = 2000
CATEGORY_BATCH = 200
DECLINED_LIST_MAX = 200  # the "Declined transfers" filter lists them on one page
DECLINED_WORDS = "declined — not sent"  # the badge on such a row (templates/accounts)
# The other side of a movement. Built once: an alias made per call re-derives every
# column it lends (SQLAlchemy's adaptation), which cost more CPU than the query itself.
_OTHER = aliased(Account, name="other_account")
_OTHER_OWNER = aliased(User, name="other_owner")


def _with_counterparty(account_id: int, *columns, transaction_id) -> tuple[Select, object]:
    """Select `columns` plus the movement's columns, joined to its transaction and to the
    other side of it: the destination when `account_id` sent, else the source (and that
    account's owner). Returns the statement and the other account's alias (for filters)."""
    other, other_owner = _OTHER, _OTHER_OWNER
    other_id = case(
        (
            JournalTransaction.source_account_id == account_id,
            JournalTransaction.destination_account_id,
        ),
        else_=JournalTransaction.source_account_id,
    )
    stmt = (
        select(*columns, *_movement_columns(account_id, other, other_owner))
        .join(JournalTransaction, JournalTransaction.id == transaction_id)
        .outerjoin(other, other.id == other_id)
        .outerjoin(other_owner, other_owner.id == other.owner_id)
    )
    return stmt, other


def _entries_query(account_id: int) -> tuple[Select, object]:
    stmt, other = _with_counterparty(
        account_id,
        Entry.id,
        Entry.created_at,
        Entry.amount,
        Entry.balance_after,
        transaction_id=Entry.transaction_id,
    )
    return stmt.where(Entry.account_id == account_id), other


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


def held_rows(
    session: Session,
    account_id: int,
    filters: HistoryFilters,
    tz: str = "UTC",
    *,
    pending: bool = True,
    declined_since: datetime | None = None,
    declined_before: datetime | None = None,
    declined: bool = True,
    overrides: Overrides | None = None,
) -> list[HistoryRow]:
    """Transfers held for review from this account, in one query: those still waiting
    (`pending`: money reserved, not yet in the balance) and those declined or expired
    (made in [`declined_since`, `declined_before`), either bound open when None).

    A declined transfer moved no money, so it has no entry and no place in the running
    balance; the sender still needs to see it was not sent, and why. Its hold (reserved,
    then released) is the record: `ledger.holds` wrote `released_at` and the decision
    on the transaction, and the admin's audit row, in the decision's own transaction.
    """
    other, other_owner = _OTHER, _OTHER_OWNER
    amount = -Hold.amount
    if (
        filters.text
        and len(needle := filters.text.strip().lower()) >= 4
        and needle in DECLINED_WORDS
    ):
        # Searching for what the row says ("declined", "not sent") finds those rows.
        filters = replace(filters, text=None, direction=DECLINED_ONLY)
    if filters.direction == DECLINED_ONLY:
        pending = False
    status = JournalTransaction.status
    wanted = []
    if pending:
        wanted.append(and_(Hold.active.is_(True), status == TransactionStatus.PENDING.value))
    if declined:
        window = [Hold.active.is_(False), status.in_(DECLINED_STATUSES)]
        if declined_since is not None:
            window.append(Hold.created_at >= declined_since)
        if declined_before is not None:
            window.append(Hold.created_at < declined_before)
        wanted.append(and_(*window))
    if not wanted:
        return []
    stmt = (
        select(
            Hold.id,
            Hold.created_at,
            amount.label("amount"),
            *_movement_columns(account_id, other, other_owner),
            status.label("status"),
            JournalTransaction.decision_reason,
        )
        .join(JournalTransaction, JournalTransaction.id == Hold.transaction_id)
        .outerjoin(other, other.id == JournalTransaction.destination_account_id)
        .outerjoin(other_owner, other_owner.id == other.owner_id)
        .where(Hold.account_id == account_id, or_(*wanted))
    )
    stmt = _apply_filters(
        stmt,
        filters,
        amount=amount,
        created_at=Hold.created_at,
        other=other,
        own_owner_id=_own_owner_id(account_id),
        tz=tz,
        posted=False,
    ).order_by(Hold.created_at.desc(), Hold.id.desc())
    if filters.direction == DECLINED_ONLY:
        stmt = stmt.limit(DECLINED_LIST_MAX)
    rows = [
        _row(row, pending=True, overrides=overrides)
        if row.status == TransactionStatus.PENDING.value
        else _declined_row(row, overrides)
        for row in session.execute(stmt)
    ]
    if filters.category:
        rows = [row for row in rows if row.category == filters.category]
    return rows


def pending_rows(
    session: Session,
    account_id: int,
    filters: HistoryFilters,
    tz: str = "UTC",
    *,
    overrides: Overrides | None = None,
) -> list[HistoryRow]:
    """Transfers held for review: money reserved from this account, not yet in the balance."""
    return held_rows(session, account_id, filters, tz, declined=False, overrides=overrides)


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
    elif filters.direction == DECLINED_ONLY:
        inner = inner.where(false())  # declined transfers have no entries (see held_rows)
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
    stmt, _ = _with_counterparty(
        account_id,
        page.c.id,
        page.c.created_at,
        page.c.amount,
        page.c.balance_after,
        transaction_id=page.c.transaction_id,
    )
    return stmt.order_by(page.c.created_at.desc(), page.c.id.desc())


def history_page(
    session: Session,
    account_id: int,
    filters: HistoryFilters | None = None,
    *,
    cursor: Cursor | None = None,
    page_size: int = PAGE_SIZE,
    tz: str = "UTC",
    overrides: Overrides | None = None,
) -> HistoryPage:
    """One page of history, newest first; pending transfers sit on top of the first page.

    `overrides` are the account owner's category rules (merchant key -> category).
    """
    filters = filters or HistoryFilters()
    if filters.category:
        rows, next_at = _category_page(
            session, account_id, filters, cursor, page_size, tz, overrides
        )
    else:
        stmt = _page_select(account_id, filters, cursor=cursor, limit=page_size + 1, tz=tz)
        result = session.execute(stmt).all()
        rows = [_row(row, overrides=overrides) for row in result[:page_size]]
        next_at = None
        if len(result) > page_size:
            last = rows[-1]
            next_at = Cursor(last.created_at, last.entry_id)
    next_cursor = next_at.encode() if next_at else None
    # Declined transfers made within the time this page covers, merged in by time: page
    # N covers [its last row's time, page N-1's last row's time), so each declined
    # transfer shows on exactly one page. The first page also lists the pending ones.
    held = held_rows(
        session,
        account_id,
        filters,
        tz,
        pending=cursor is None,
        declined_since=next_at.created_at if next_at else None,
        declined_before=cursor.created_at if cursor is not None else None,
        overrides=overrides,
    )
    pending = [row for row in held if row.pending]
    declined = [row for row in held if row.declined]
    if declined:
        rows = sorted([*rows, *declined], key=lambda row: row.created_at, reverse=True)
    return HistoryPage(rows=rows, pending=pending, next_cursor=next_cursor)


def _category_page(
    session: Session,
    account_id: int,
    filters: HistoryFilters,
    cursor: Cursor | None,
    page_size: int,
    tz: str,
    overrides: Overrides | None,
) -> tuple[list[HistoryRow], Cursor | None]:
    """A page of the rows in `filters.category`: entries are read in keyset batches (the
    same index walk as any page) and kept when their category matches, until the page is
    full or CATEGORY_SCAN_MAX entries were read. The cursor points after the last entry
    *read*, so the next page goes on from there: no row is skipped or shown twice."""
    wanted = filters.category
    rows: list[HistoryRow] = []
    scanned = 0
    position = cursor
    while True:
        batch = session.execute(
            _page_select(account_id, filters, cursor=position, limit=CATEGORY_BATCH, tz=tz)
        ).all()
        for index, raw in enumerate(batch):
            row = _row(raw, overrides=overrides)
            scanned += 1
            position = Cursor(row.created_at, row.entry_id)
            if row.category != wanted:
                continue
            rows.append(row)
            if len(rows) == page_size:
                # More to read after this row? (this batch, or a full batch means maybe)
                more = index + 1 < len(batch) or len(batch) == CATEGORY_BATCH
                return rows, position if more else None
        if len(batch) < CATEGORY_BATCH:
            return rows, None
        if scanned >= CATEGORY_SCAN_MAX:
            return rows, position
