"""The CSV export of history: rows streamed from a server-side cursor, flat memory."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date

from sqlalchemy.orm import Session

from banking.core import categories
from banking.core.history.filters import HistoryFilters
from banking.core.history.queries import entries_select
from banking.core.history.rows import HistoryRow, Overrides, _counterparty, _row, _side
from banking.core.ledger.system_accounts import EXTERNAL_CASH
from banking.core.models import Account
from banking.core.money import format_plain
from banking.core.names import KIND_LABELS

EXPORT_BATCH = 500
EXPORT_FETCH = 2000  # rows per server-side cursor fetch for the CSV export
_COUNTERPARTY_MEMO = 10_000  # distinct other accounts remembered during one export

# The category is the last column: it came last (issue 17), and spreadsheets people built
# on the first seven columns keep working.
EXPORT_HEADER = [
    "Date (UTC)",
    "Type",
    "Counterparty",
    "Memo",
    "Money out",
    "Money in",
    "Balance",
    "Category",
]


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
        row.category_label,
    ]


def iter_history(
    session: Session,
    account_id: int,
    filters: HistoryFilters | None = None,
    *,
    tz: str = "UTC",
    batch_size: int = EXPORT_BATCH,
    overrides: Overrides | None = None,
) -> Iterator[HistoryRow]:
    """Every matching entry, streamed from a server-side cursor in batches (flat memory)."""
    filters = filters or HistoryFilters()
    stmt = entries_select(account_id, filters, tz).execution_options(yield_per=batch_size)
    result = session.execute(stmt)
    try:
        for raw in result:
            row = _row(raw, overrides=overrides)
            if not filters.category or row.category == filters.category:
                yield row
    finally:
        result.close()


def iter_export_rows(
    session: Session,
    account_id: int,
    filters: HistoryFilters | None = None,
    *,
    tz: str = "UTC",
    batch_size: int = EXPORT_FETCH,
    overrides: Overrides | None = None,
) -> Iterator[list[str]]:
    """The export's rows, exactly as `export_row(_row(row))` would build them, but cheaper.

    An export may be a million rows, so the per-row Python is what limits it: rows are
    read as plain tuples from a server-side cursor (flat memory), amounts are formatted
    with integer arithmetic, and the counterparty text is worked out once per other
    account instead of once per row.
    """
    filters = filters or HistoryFilters()
    wanted = filters.category
    stmt = entries_select(account_id, filters, tz)
    # Core execution (no ORM result layer) of the same plain-column select.
    result = session.connection().execution_options(yield_per=batch_size).execute(stmt)
    labels = KIND_LABELS
    counterparties: dict[tuple, tuple[str, str]] = {}
    try:
        # Columns: entry id, created_at, amount, balance_after, transaction id, kind, memo,
        # then the other side, own owner id and the other's system code
        # (`_movement_columns`) for `_counterparty`.
        for row in result:
            amount = row[2]
            balance = row[3]
            kind = row[5]
            # The external side's title (and category) comes from the memo
            # (`names.counterparty_title`); the bank's category from the kind.
            key = (*row[7:], kind) if row[-1] != EXTERNAL_CASH else (*row[7:], row[6], kind)
            known = counterparties.get(key)
            if known is None:
                if len(counterparties) > _COUNTERPARTY_MEMO:
                    counterparties.clear()
                category = categories.categorise(
                    side=_side(row), kind=kind, memo=row[6], overrides=overrides
                )
                known = counterparties[key] = (_counterparty(row), category)
            counterparty, category = known
            if wanted and category != wanted:
                continue
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
                categories.label(category),
            ]
    finally:
        result.close()


def export_filename(account: Account, filters: HistoryFilters, today: date) -> str:
    """account-1234-2026-01-01-to-2026-01-31.csv: the last four digits only, never the number."""
    start = filters.date_from.isoformat() if filters.date_from else "start"
    end = (filters.date_to or today).isoformat()
    return f"account-{account.number[-4:]}-{start}-to-{end}.csv"
