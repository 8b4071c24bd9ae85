"""What happened on one account: keyset-paged history, pending holds, and the CSV export rows.

Everything is scoped by account id; the caller has already checked the account belongs
to the person asking. Pages walk `ix_entries_account_created_id` backwards on
(created_at, id), never with OFFSET, so the thousandth page costs what the first does.
Every filter is a residual predicate inside that one account's index range: there is
no filter selective enough on its own to deserve another index.

The package, by what each module owns:

- `filters`: the filter values and the predicates they become;
- `rows`: a history row as the customer reads it (counterparty, kind label);
- `queries`: pages, pending holds, the export's select;
- `export`: the CSV rows, streamed;
- `copy_export`: the same CSV written by PostgreSQL's COPY (and the choice of path).

Import from the package (`from banking.core.history import history_page`): the module
split is an internal layout.
"""

from banking.core.history.copy_export import (
    export_lines_select,
    iter_export_csv,
    iter_export_csv_copy,
)
from banking.core.history.export import (
    EXPORT_BATCH,
    EXPORT_FETCH,
    EXPORT_HEADER,
    export_filename,
    export_row,
    iter_export_rows,
    iter_history,
)
from banking.core.history.filters import HistoryFilters, day_bounds
from banking.core.history.queries import PAGE_SIZE, entries_select, history_page, pending_rows
from banking.core.history.rows import HistoryPage, HistoryRow
from banking.core.pagination import Cursor

__all__ = [
    "EXPORT_BATCH",
    "EXPORT_FETCH",
    "EXPORT_HEADER",
    "PAGE_SIZE",
    "Cursor",
    "HistoryFilters",
    "HistoryPage",
    "HistoryRow",
    "day_bounds",
    "entries_select",
    "export_filename",
    "export_lines_select",
    "export_row",
    "history_page",
    "iter_export_csv",
    "iter_export_csv_copy",
    "iter_export_rows",
    "iter_history",
    "pending_rows",
]
