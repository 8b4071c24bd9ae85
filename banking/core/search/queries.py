"""One page of search results across a customer's accounts, at a bounded cost.

Why a bounded scan and not a trigram index: a match on words is a match on the memo
*or* on the counterparty as history shows it (a nickname the customer gave their own
account, the bank's name for a fee, the last 4 digits of someone's number, but never
another customer's masked name). A `pg_trgm` GIN index on `journal_transactions.memo`
covers only the first of those, is journal-wide (every customer's memos: PostgreSQL
would look up the whole bank's "coffee" and then throw away all but this customer's
rows), and a whole-number or amount search cannot use it at all. So each page reads a
*window*: the `SCAN_WINDOW` newest entries (per account, off `ix_entries_account_created_id`,
then the newest `SCAN_WINDOW` of those) older than the cursor, and keeps the ones that
match. Cost per page is at most `SCAN_WINDOW` x accounts index rows, whatever the size of
the account; PostgreSQL does better, merging the per-account walks in order and stopping
at `SCAN_WINDOW` (+1 per account): tests/web/accounts/test_search_bound.py proves it with
EXPLAIN ANALYZE. If the page fills, "More results" continues after its last row; if the
window runs out first, "Search older" continues after the window's oldest entry. A day
search narrows the window to that day's index range, so it finds everything on the day.

Four statements per page, whatever the number of accounts or matches: the accounts,
the matching entries, the window's far edge, and the held transfers (pending or
declined: they have no entry, see `banking.core.history.queries.held_rows`). The service
reads the customer's category rules (one more, indexed) before calling `search_page`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, and_, case, false, func, literal, or_, select, tuple_, union_all
from sqlalchemy.orm import Session, aliased

from banking.core import categories
from banking.core.history.filters import _text_matches, day_bounds
from banking.core.history.queries import DECLINED_LIST_MAX, DECLINED_WORDS
from banking.core.history.rows import (
    DECLINED_STATUSES,
    HistoryRow,
    Overrides,
    _declined_row,
    _row,
)
from banking.core.models import Account, Entry, Hold, JournalTransaction, TransactionStatus, User
from banking.core.pagination import Cursor
from banking.core.search.parse import SearchQuery

PAGE_SIZE = 25
SCAN_WINDOW = 2000  # entries read per page at most (per account, then overall)
_OTHER = aliased(Account, name="search_other")
_OTHER_OWNER = aliased(User, name="search_other_owner")


@dataclass(frozen=True)
class SearchResult:
    """A history row and the account it belongs to (search spans all of them)."""

    row: HistoryRow
    account_id: int

    @property
    def created_at(self):
        return self.row.created_at


@dataclass(frozen=True)
class SearchPage:
    results: list[SearchResult]
    accounts: dict[int, Account]
    next_cursor: str | None = None  # the page filled: more matches after its last row
    older_cursor: str | None = None  # the window ran out first: search older entries


def _columns(user_id: int) -> tuple:
    """What a history row says about a movement (as `history.rows._movement_columns`);
    every account searched is the user's own, so the owner is a constant."""
    other, other_owner = _OTHER, _OTHER_OWNER
    return (
        JournalTransaction.id.label("transaction_id"),
        JournalTransaction.kind,
        JournalTransaction.memo,
        other.number.label("other_number"),
        other.nickname.label("other_nickname"),
        other.kind.label("other_kind"),
        other.owner_id.label("other_owner_id"),
        other_owner.full_name.label("other_owner_name"),
        literal(user_id).label("own_owner_id"),
        other.system_code.label("other_system_code"),
    )


def _matches(query: SearchQuery, amount, user_id: int):
    """The query as a predicate on a row joined to its transaction and other side."""
    clauses = []
    if query.amount is not None:
        clauses.append(func.abs(amount) == query.amount)
    if query.text:
        clauses.append(_text_matches(query.text, _OTHER, own_owner_id=user_id))
    return or_(*clauses) if clauses else None


def _window(account_ids: list[int], cursor: Cursor | None, query: SearchQuery, tz: str):
    """The newest `SCAN_WINDOW` entries of these accounts older than `cursor`."""
    start, end = day_bounds(query.day, query.day, tz) if query.day else (None, None)
    parts = []
    for account_id in account_ids:
        part = select(
            Entry.id,
            Entry.created_at,
            Entry.account_id,
            Entry.amount,
            Entry.balance_after,
            Entry.transaction_id,
        ).where(Entry.account_id == account_id)
        if cursor is not None:
            part = part.where(
                tuple_(Entry.created_at, Entry.id) < tuple_(cursor.created_at, cursor.id)
            )
        if start is not None:
            part = part.where(Entry.created_at >= start, Entry.created_at < end)
        part = part.order_by(Entry.created_at.desc(), Entry.id.desc()).limit(SCAN_WINDOW)
        # Wrapped: SQLite allows no ORDER BY/LIMIT on a member of a UNION.
        parts.append(select(part.subquery().c))
    union = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("scanned")
    return (
        select(union.c)
        .order_by(union.c.created_at.desc(), union.c.id.desc())
        .limit(SCAN_WINDOW)
        .subquery("window")
    )


def _entry_select(
    window, query: SearchQuery, user_id: int, limit: int, *, facet: bool = False
) -> Select:
    """The window's matching entries, newest first, at most `limit`. With `facet` (the
    words also name a category, which is worked out in Python): every entry of the window
    instead, with `matched` saying whether the words matched it in SQL."""
    other_id = case(
        (
            JournalTransaction.source_account_id == window.c.account_id,
            JournalTransaction.destination_account_id,
        ),
        else_=JournalTransaction.source_account_id,
    )
    stmt = (
        select(
            window.c.id,
            window.c.created_at,
            window.c.amount,
            window.c.balance_after,
            window.c.account_id,
            *_columns(user_id),
        )
        .select_from(window)
        .join(JournalTransaction, JournalTransaction.id == window.c.transaction_id)
        .outerjoin(_OTHER, _OTHER.id == other_id)
        .outerjoin(_OTHER_OWNER, _OTHER_OWNER.id == _OTHER.owner_id)
    )
    predicate = _matches(query, window.c.amount, user_id)
    order = (window.c.created_at.desc(), window.c.id.desc())
    if facet:
        matched = case((predicate, True), else_=False) if predicate is not None else false()
        return stmt.add_columns(matched.label("matched")).order_by(*order)
    if predicate is not None:
        stmt = stmt.where(predicate)
    return stmt.order_by(*order).limit(limit)


def _found(session: Session, window, query: SearchQuery, user_id: int, limit: int, overrides):
    """Up to `limit` matching entries of the window. Words that name a category ("dining")
    also find the movements in it: those are told apart in Python (a category depends on
    the customer's rules), over the window's rows, so the cost stays bounded by it."""
    facet = set(categories.match_label(query.text)) if query.text else set()
    if not facet:
        return session.execute(_entry_select(window, query, user_id, limit)).all()
    found = []
    for row in session.execute(_entry_select(window, query, user_id, limit, facet=True)).all():
        if row.matched or categories.categorise_row(row, overrides) in facet:
            found.append(row)
            if len(found) >= limit:
                break
    return found


def _held(
    session: Session,
    account_ids: list[int],
    query: SearchQuery,
    user_id: int,
    *,
    since,
    before,
    tz: str,
    overrides: Overrides | None = None,
) -> list[SearchResult]:
    """Pending and declined transfers (no entries) made in [since, before) that match."""
    amount = -Hold.amount
    status = JournalTransaction.status
    stmt = (
        select(
            Hold.id,
            Hold.created_at,
            amount.label("amount"),
            Hold.account_id,
            *_columns(user_id),
            status.label("status"),
            JournalTransaction.decision_reason,
        )
        .join(JournalTransaction, JournalTransaction.id == Hold.transaction_id)
        .outerjoin(_OTHER, _OTHER.id == JournalTransaction.destination_account_id)
        .outerjoin(_OTHER_OWNER, _OTHER_OWNER.id == _OTHER.owner_id)
        .where(Hold.account_id.in_(account_ids))
    )
    waiting = and_(Hold.active.is_(True), status == TransactionStatus.PENDING.value)
    declined = and_(Hold.active.is_(False), status.in_(DECLINED_STATUSES))
    needle = (query.text or "").lower()
    if query.amount is None and len(needle) >= 4 and needle in DECLINED_WORDS:
        stmt = stmt.where(declined)  # searching for what the row says finds those rows
    else:
        stmt = stmt.where(or_(waiting, declined))
        predicate = _matches(query, amount, user_id)
        stmt = stmt.where(predicate if predicate is not None else false())
    if query.day is not None:
        start, end = day_bounds(query.day, query.day, tz)
        stmt = stmt.where(Hold.created_at >= start, Hold.created_at < end)
    if since is not None:
        stmt = stmt.where(Hold.created_at >= since)
    if before is not None:
        stmt = stmt.where(Hold.created_at < before)
    stmt = stmt.order_by(Hold.created_at.desc(), Hold.id.desc()).limit(DECLINED_LIST_MAX)
    results = []
    for row in session.execute(stmt):
        if row.status == TransactionStatus.PENDING.value:
            history_row = _row(row, pending=True, overrides=overrides)
        else:
            history_row = _declined_row(row, overrides)
        results.append(SearchResult(history_row, row.account_id))
    return results


def search_page(
    session: Session,
    user_id: int,
    query: SearchQuery,
    *,
    cursor: Cursor | None = None,
    page_size: int = PAGE_SIZE,
    tz: str = "UTC",
    overrides: Overrides | None = None,
) -> SearchPage:
    """One page of the user's movements matching `query`, newest first (see module doc)."""
    accounts = {
        account.id: account
        for account in session.scalars(
            select(Account).where(Account.owner_id == user_id).order_by(Account.id)
        )
    }
    if not accounts:
        return SearchPage(results=[], accounts=accounts)
    account_ids = list(accounts)
    window = _window(account_ids, cursor, query, tz)
    found = _found(session, window, query, user_id, page_size + 1, overrides)
    results = [
        SearchResult(_row(row, overrides=overrides), row.account_id) for row in found[:page_size]
    ]
    next_cursor = older_cursor = None
    since = None
    if len(found) > page_size:
        last = results[-1].row
        next_cursor = Cursor(last.created_at, last.entry_id).encode()
        since = last.created_at
    else:
        edge = session.execute(
            select(window.c.created_at, window.c.id, func.count().over().label("scanned"))
            .order_by(window.c.created_at.asc(), window.c.id.asc())
            .limit(1)
        ).first()
        if edge is not None and edge.scanned >= SCAN_WINDOW:
            oldest = Cursor(edge.created_at, edge.id)
            older_cursor = oldest.encode()
            since = oldest.created_at
    held = _held(
        session,
        account_ids,
        query,
        user_id,
        since=since,
        before=cursor.created_at if cursor is not None else None,
        tz=tz,
        overrides=overrides,
    )
    if held:
        results = sorted([*results, *held], key=lambda r: r.row.created_at, reverse=True)
    return SearchPage(
        results=results, accounts=accounts, next_cursor=next_cursor, older_cursor=older_cursor
    )
