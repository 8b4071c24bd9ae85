"""Monthly statements: opening balance, the month's entries, and a closing balance that reconciles.

The opening balance is the `balance_after` of the last entry before the month (0 for a
new account), so a statement never needs to sum the whole history; the closing balance
is then checked to equal opening + every entry of the month.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from banking.core.history import (
    EXPORT_HEADER,
    HistoryFilters,
    HistoryRow,
    day_bounds,
    export_row,
)
from banking.core.history import iter_history as _iter_history
from banking.core.history.rows import Overrides
from banking.core.models import Entry
from banking.core.money import format_plain
from banking.core.periods import InvalidMonth, Month

__all__ = [
    "STATEMENT_HEADER",
    "InvalidMonth",  # re-exported: statements are asked for by month
    "Month",
    "Statement",
    "build_statement",
    "statement_csv_rows",
]


@dataclass(frozen=True)
class Statement:
    account_id: int
    month: Month
    opening_balance: int
    closing_balance: int
    entries: list[HistoryRow]  # oldest first, as on paper

    @property
    def money_in(self) -> int:
        return sum(row.amount for row in self.entries if row.amount > 0)

    @property
    def money_out(self) -> int:
        return -sum(row.amount for row in self.entries if row.amount < 0)

    @property
    def reconciles(self) -> bool:
        return self.opening_balance + sum(r.amount for r in self.entries) == self.closing_balance


def _month_filters(month: Month) -> HistoryFilters:
    return HistoryFilters(date_from=month.first_day, date_to=month.last_day)


def build_statement(
    session: Session,
    account_id: int,
    month: Month,
    *,
    tz: str = "UTC",
    overrides: Overrides | None = None,
) -> Statement:
    """The statement of `account_id` for `month` (days counted in the display timezone);
    `overrides`: the owner's category rules, for each entry's category."""
    filters = _month_filters(month)
    start, _end = day_bounds(filters.date_from, filters.date_to, tz)
    opening = session.scalar(
        select(Entry.balance_after)
        .where(Entry.account_id == account_id, Entry.created_at < start)
        .order_by(Entry.created_at.desc(), Entry.id.desc())
        .limit(1)
    )
    opening = int(opening or 0)
    entries = list(_iter_history(session, account_id, filters, tz=tz, overrides=overrides))
    entries.reverse()
    closing = entries[-1].balance_after if entries else opening
    return Statement(
        account_id=account_id,
        month=month,
        opening_balance=opening,
        closing_balance=int(closing),
        entries=entries,
    )


def statement_csv_rows(statement: Statement) -> Iterator[list[str]]:
    """The statement as CSV rows (after EXPORT_HEADER), framed by opening and closing lines."""
    opening_day = statement.month.first_day.isoformat()
    yield [
        opening_day,
        "Opening balance",
        "",
        "",
        "",
        "",
        format_plain(statement.opening_balance),
        "",
    ]
    for row in statement.entries:
        yield export_row(row)
    yield [
        statement.month.next().first_day.isoformat(),
        "Closing balance",
        "",
        "",
        format_plain(statement.money_out),
        format_plain(statement.money_in),
        format_plain(statement.closing_balance),
        "",
    ]


STATEMENT_HEADER = EXPORT_HEADER
