"""An account's history page, CSV export and monthly statement, on the app's session.

The reads themselves are the core's (`banking.core.history`, `banking.core.statements`);
these wrappers give the views a call that needs no database session of their own. The
caller has already checked that the account belongs to the person asking
(`banking.services.customer_queries.own_account`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from banking.core import history as core_history
from banking.core import statements as core_statements
from banking.extensions import db
from banking.services.categories import overrides_for

if TYPE_CHECKING:  # names only: the core may move these classes between its modules
    from banking.core.history import Cursor, HistoryFilters, HistoryPage
    from banking.core.statements import Month, Statement


def history_page(
    account_id: int, filters: HistoryFilters, *, cursor: Cursor | None, tz: str, owner_id: int
) -> HistoryPage:
    """One page of the account's history, newest first (pending transfers on page one),
    each row in its category by `owner_id`'s rules."""
    return core_history.history_page(
        db.session,
        account_id,
        filters,
        cursor=cursor,
        tz=tz,
        overrides=overrides_for(owner_id),
    )


def export_csv(
    account_id: int, filters: HistoryFilters, *, tz: str, owner_id: int
) -> Iterator[bytes]:
    """The CSV export's bytes, header first, streamed as the response is sent (PostgreSQL's
    COPY formats the lines; SQLite goes through the Python rows)."""
    return core_history.iter_export_csv(
        db.session, account_id, filters, tz=tz, overrides=overrides_for(owner_id)
    )


def statement(account_id: int, month: Month, *, tz: str, owner_id: int) -> Statement:
    """The account's statement for `month` (days counted in the display timezone `tz`)."""
    return core_statements.build_statement(
        db.session, account_id, month, tz=tz, overrides=overrides_for(owner_id)
    )
