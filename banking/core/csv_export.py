"""CSV written row by row and safe to open in a spreadsheet.

Cells starting with = + - @ (or tab / carriage return) are prefixed with a quote so a
spreadsheet shows them as text instead of running them as formulas (OWASP CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_PREFIXES)
CHUNK_ROWS = 500  # CSV lines per yielded chunk


def neutralize(value: Any) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def iter_csv(
    header: list[str], rows: Iterable[Iterable[Any]], *, chunk_rows: int = CHUNK_ROWS
) -> Iterator[str]:
    """Yield the CSV in chunks of `chunk_rows` lines, so memory stays flat however many rows.

    Chunks, not single lines: a WSGI server writes every yielded string to the socket
    separately, and for a million-row export the per-line overhead was the bottleneck.

    Amounts must be passed as already-formatted strings (e.g. "-12.50"); they are
    neutralized like everything else, which keeps a leading minus as text — callers that
    want numeric cells pass `format_plain` output and accept the quote prefix, or split
    debit/credit into two non-negative columns.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    first = _FORMULA_FIRST

    def safe(values: Iterable[Any]) -> list[str]:
        # The common case (a str that can't be a formula) without a function call per cell.
        return [
            v if v.__class__ is str and (not v or v[0] not in first) else neutralize(v)
            for v in values
        ]

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return text

    writer.writerow(safe(header))
    pending = 1
    for row in rows:
        writer.writerow(safe(row))
        pending += 1
        if pending >= chunk_rows:
            yield flush()
            pending = 0
    if pending:
        yield flush()
