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


def neutralize(value: Any) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def iter_csv(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """Yield the CSV one line at a time, so memory stays flat however many rows there are.

    Amounts must be passed as already-formatted strings (e.g. "-12.50"); they are
    neutralized like everything else, which keeps a leading minus as text — callers that
    want numeric cells pass `format_plain` output and accept the quote prefix, or split
    debit/credit into two non-negative columns.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: Iterable[Any]) -> str:
        buffer.seek(0)
        buffer.truncate(0)
        writer.writerow([neutralize(v) for v in values])
        return buffer.getvalue()

    yield line(header)
    for row in rows:
        yield line(row)
