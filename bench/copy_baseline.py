"""PostgreSQL's own COPY of the history export's query: the ceiling for the CSV export.

The app's `entries_select` for the account (no filters), compiled exactly as the app
compiles it, run as `COPY (…) TO STDOUT WITH (FORMAT csv)` through psycopg with the
bytes discarded: what the database alone can stream of the same rows, in the same run.
"""

from __future__ import annotations

import time

import psycopg
from sqlalchemy.dialects import postgresql

from banking.core.history import HistoryFilters, entries_select


def copy_baseline(database_url: str, account_id: int) -> dict:
    """Rows, seconds and rows/s of COPY … TO STDOUT WITH CSV of the export's own query."""
    compiled = entries_select(account_id, HistoryFilters()).compile(
        dialect=postgresql.psycopg.dialect(), compile_kwargs={"render_postcompile": True}
    )
    conninfo = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(conninfo) as conn, conn.cursor() as cursor:
        began = time.perf_counter()
        statement = f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv)"
        with cursor.copy(statement, compiled.params) as copy:
            for _ in copy:  # one chunk per row; the bytes are dropped
                pass
        seconds = time.perf_counter() - began
        rows = cursor.rowcount
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds) if seconds else None,
    }
