"""The CSV export on PostgreSQL: the database formats every line and streams it by COPY.

The Python path (`export.iter_export_rows` + `csv_export.iter_csv`) spends ~10 µs of
worker CPU per row; a million-row export took 10 s. Here each CSV line is one text
column built in SQL from the same `entries_select` (same joins, filters, time zone and
order), and `COPY (…) TO STDOUT` hands the lines over with no per-cell Python at all.
SQLite keeps the Python path; a test runs both on PostgreSQL and compares the bytes.

Every rule of the Python path is repeated here, each next to the function it mirrors:
- dates: `isoformat(" ")[:19]` of the UTC time -> `to_char` of `timezone('UTC', …)`;
- the kind: `KIND_LABELS.get(kind) or kind.capitalize()` -> a CASE;
- the counterparty: `names.counterparty_title` (the merchant from an external memo) and
  `names.mask_name` (Python's whitespace);
- amounts: `money.format_plain` (integer division, two-digit cents);
- the category: `categories.categorise`, mirrored by `categories.sql`;
- `csv_export.neutralize` (a quote before = + - @ TAB CR), then `csv.writer`'s minimal
  quoting (a cell with , " CR or LF is quoted, quotes doubled) and its CRLF line end.

COPY's text format escapes a backslash and the control characters LF, CR, TAB, BS, FF,
VT in each line and ends lines with a bare LF; `_unescape` turns those back, so the bytes
match `csv.writer`'s exactly (COPY's CSV format cannot: its line end is always LF).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

from sqlalchemy import Select, Text, case, cast, func, literal, select
from sqlalchemy.orm import Session

from banking.core import categories
from banking.core.categories.sql import category_keys, category_label_sql
from banking.core.csv_export import FORMULA_PREFIXES, iter_csv
from banking.core.history.export import EXPORT_HEADER, iter_export_rows
from banking.core.history.filters import HistoryFilters
from banking.core.history.queries import entries_select
from banking.core.history.rows import Overrides
from banking.core.ledger.system_accounts import EXTERNAL_CASH
from banking.core.models import AccountKind
from banking.core.money import MINOR_UNITS
from banking.core.names import KIND_LABELS, PARTY_SEPARATOR, THE_BANK

COPY_CHUNK_ROWS = 2000  # COPY lines joined into one response chunk


def _whitespace_class() -> str:
    """Python's `str.split()` whitespace as a regex bracket body (for `mask_name`):
    worked out from `str.isspace` itself, so the two cannot disagree on a character."""
    runs: list[list[int]] = []
    for code in range(0x3001):  # nothing above U+3000 is whitespace
        if chr(code).isspace():
            if runs and runs[-1][1] == code - 1:
                runs[-1][1] = code
            else:
                runs.append([code, code])
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in runs)


_WS = _whitespace_class()
# One word and the whitespace after it -> "J*** " (the first character of the word).
_WORD = f"[{_WS}]*([^{_WS}])[^{_WS}]*[{_WS}]*"
_HAS_WORD = f"[^{_WS}]"
_SIMPLE_NAME = f"^[^{_WS}]+( [^{_WS}]+)?$"  # one word, or two split by one plain space
_WS_CHARS = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
_WORD_STARTS_SPECIAL = f'(^|[{_WS}])[",]'  # a word of the name starting with " or ,
_FORMULA_CODES = [ord(prefix) for prefix in FORMULA_PREFIXES]
_NEEDS_QUOTES = '[",\r\n]'  # what makes `csv.writer` quote a cell (QUOTE_MINIMAL)


def _cell(text, *, first=None, special=None):
    """`csv_export.neutralize` (a quote before a cell a spreadsheet would run), then
    `csv.writer`'s minimal quoting (the added quote never changes whether to quote).

    PostgreSQL evaluates an expression once per mention, so `text` is mentioned once per
    CASE branch and only the default tests mention it again: a costly `text` passes
    `first` (the code of its first character) and `special` (does it need quotes?)
    worked out from cheaper inputs.
    """
    # `ascii()` of the first character (0 for ""): an integer test, faster than `left()`.
    first = func.ascii(text) if first is None else first
    special = text.regexp_match(_NEEDS_QUOTES) if special is None else special
    prefix = case((first.in_(_FORMULA_CODES), literal("'")), else_=literal(""))
    return case(
        (special, literal('"') + prefix + func.replace(text, '"', '""', type_=Text) + '"'),
        else_=prefix + text,
    )


def _plain(minor):
    """`money.format_plain` of a non-negative amount: "1234.50" (two-digit cents, as its
    `:02d`; the comparison test catches the day the two drift apart)."""
    return (
        cast(minor // MINOR_UNITS, Text)
        + literal(".")
        + func.lpad(cast(minor % MINOR_UNITS, Text), 2, "0")
    )


def _mask_name(name):
    """`names.mask_name`: "Jane  Doe" -> "J*** D***" (whitespace as Python splits it).

    The general form is a regex with a capture group, ~10 µs a row on PostgreSQL; a name
    of one or two words split by one plain space (most of them) takes string functions
    instead, ~0.5 µs. Both give what `mask_name` gives.
    """
    general = func.regexp_replace(name, _WORD, "\\1*** ", "g")
    second = func.left(func.substr(name, func.strpos(name, " ") + 1), 1, type_=Text)
    first = func.left(name, 1, type_=Text) + literal("***")
    return case(
        (
            name.regexp_match(_SIMPLE_NAME),
            case(
                (func.strpos(name, " ") == 0, first),
                else_=first + literal(" ") + second + literal("***"),
            ),
        ),
        (name.regexp_match(_HAS_WORD), func.left(general, -1, type_=Text)),
        else_=literal("***"),
    )


def _memo_party(memo):
    """`names.memo_party`'s who: the memo after its first " — ", or NULL when that is
    missing or empty (Python's `str.partition`, no trimming)."""
    memo = func.coalesce(memo, "")
    at = func.strpos(memo, PARTY_SEPARATOR)
    who = func.substr(memo, at + len(PARTY_SEPARATOR), type_=Text)
    return case((at > 0, func.nullif(who, "")), else_=None)


def _counterparty_cell(c):
    """`names.counterparty_title`, column for column, as a CSV cell (neutralized, quoted)."""
    last4 = func.right(c.other_number, 4, type_=Text)
    masked = literal("••••") + last4
    nickname = func.nullif(c.other_nickname, "")
    name = c.other_owner_name
    party = _memo_party(c.memo)
    kind_word = func.upper(func.left(c.other_kind, 1), type_=Text) + func.lower(
        func.substr(c.other_kind, 2), type_=Text
    )
    return case(
        (c.other_number.is_(None), literal("")),
        (
            (c.other_kind == AccountKind.SYSTEM.value) & (c.other_system_code == EXTERNAL_CASH),
            case((party.is_(None), _kind_label(c.kind)), else_=_cell(party)),
        ),
        (c.other_kind == AccountKind.SYSTEM.value, literal(THE_BANK)),
        (
            c.other_owner_id.is_not(None) & (c.other_owner_id == c.own_owner_id),
            _cell(
                literal("Your ") + func.coalesce(nickname, kind_word + literal(" ") + masked),
                first=literal(ord("Y")),
            ),
        ),
        (
            func.coalesce(name, "") == "",
            _cell(literal("Another customer ") + masked, first=literal(ord("A"))),
        ),
        else_=_cell(
            _mask_name(name) + " " + masked,
            # The masked name starts with the name's first non-blank character, and has a
            # quote or comma only where a word of the name starts with one.
            first=func.ascii(func.ltrim(name, _WS_CHARS)),
            special=name.regexp_match(_WORD_STARTS_SPECIAL) | last4.regexp_match(_NEEDS_QUOTES),
        ),
    )


def _kind_label(kind):
    """`names.kind_label`: the customer's word, else the kind capitalized."""
    return case(
        *((kind == value, literal(label)) for value, label in KIND_LABELS.items()),
        else_=_cell(func.upper(func.left(kind, 1), type_=Text) + func.lower(func.substr(kind, 2))),
    )


def export_lines_select(
    account_id: int,
    filters: HistoryFilters | None = None,
    tz: str = "UTC",
    overrides: Overrides | None = None,
) -> Select:
    """One text column per entry: the CSV line `export.export_row` + `iter_csv` would write
    (without its CRLF), over exactly `entries_select`'s rows and order.

    `entries_select` is a subquery without its ORDER BY, which PostgreSQL folds into this
    one; the line is one parallel-safe expression computed before the sort, so parallel
    workers build the lines and the leader only merges them.
    """
    filters = filters or HistoryFilters()
    rows = entries_select(account_id, filters, tz).order_by(None)
    export_rows = rows.subquery("export_rows")
    # Each row's category keys are worked out once, in a subquery the planner keeps
    # (OFFSET 0), not once per keyword of the CASE that reads them.
    keyed = (
        select(export_rows, *category_keys(export_rows.c)).offset(0).subquery("keyed_rows")
    )
    r = keyed.c
    amount, balance = r.amount, r.balance_after
    # A category label is a plain word: no CSV quoting, nothing to neutralize.
    category = category_label_sql(r, overrides)
    line = func.concat(
        func.to_char(func.timezone("UTC", r.created_at), "YYYY-MM-DD HH24:MI:SS"),
        ",",
        _kind_label(r.kind),
        ",",
        _counterparty_cell(r),
        ",",
        _cell(func.coalesce(r.memo, "")),
        ",",
        case((amount < 0, _plain(-amount)), else_=literal("")),
        ",",
        case((amount > 0, _plain(amount)), else_=literal("")),
        ",",
        case(
            (balance.is_(None), literal("")),
            # A negative balance starts with "-": `neutralize` puts a quote before it.
            (balance < 0, literal("'-") + _plain(-balance)),
            else_=_plain(balance),
        ),
        ",",
        category,
    )
    stmt = select(line.label("line")).order_by(r.created_at.desc(), r.id.desc())
    if filters.category:
        stmt = stmt.where(category == categories.label(filters.category))
    return stmt


_ESCAPES = {b"\\": b"\\", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
_ESCAPES[b"v"] = b"\v"
_ESCAPED = re.compile(rb"\\(.)", re.DOTALL)


def _unescape(chunk: bytes) -> bytes:
    """COPY text format -> CSV bytes: every bare LF ends a line (CRLF, as `csv.writer`),
    then the backslash escapes (which only user text produces) become their characters."""
    chunk = chunk.replace(b"\n", b"\r\n")
    if b"\\" in chunk:
        chunk = _ESCAPED.sub(lambda m: _ESCAPES[m.group(1)], chunk)
    return chunk


def _header() -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(EXPORT_HEADER)
    return buffer.getvalue().encode()


def iter_export_csv_copy(
    session: Session,
    account_id: int,
    filters: HistoryFilters | None = None,
    *,
    tz: str = "UTC",
    chunk_rows: int | None = None,
    overrides: Overrides | None = None,
) -> Iterator[bytes]:
    """The export's CSV bytes (header first), streamed by PostgreSQL's COPY.

    Filters travel as parameters that psycopg merges client-side (a COPY statement
    cannot take server-side ones), each quoted by psycopg, never pasted as text.
    Closing the iterator early (a client that went away) leaves the `with` blocks, and
    psycopg cancels the COPY so the connection goes back to the pool usable.
    """
    chunk_rows = chunk_rows or COPY_CHUNK_ROWS
    bind = session.connection()
    compiled = export_lines_select(account_id, filters, tz, overrides).compile(
        dialect=bind.dialect, compile_kwargs={"render_postcompile": True}
    )
    driver = bind.connection.driver_connection
    encoding = driver.info.encoding
    yield _header()
    statement = f"COPY ({compiled}) TO STDOUT"
    with driver.cursor() as cursor, cursor.copy(statement, compiled.params) as copy:
        pending: list[bytes] = []
        for data in copy:
            pending.append(bytes(data))
            if len(pending) >= chunk_rows:
                yield _transcode(_unescape(b"".join(pending)), encoding)
                pending = []
        if pending:
            yield _transcode(_unescape(b"".join(pending)), encoding)


def _transcode(chunk: bytes, encoding: str) -> bytes:
    # The response is UTF-8 (as `iter_csv`'s str chunks become); COPY sends the
    # connection's client encoding, which is UTF-8 unless a server says otherwise.
    if encoding in ("utf-8", "utf8"):
        return chunk
    return chunk.decode(encoding).encode()


def iter_export_csv(
    session: Session,
    account_id: int,
    filters: HistoryFilters | None = None,
    *,
    tz: str = "UTC",
    overrides: Overrides | None = None,
) -> Iterator[bytes]:
    """The history export's CSV bytes: by COPY on PostgreSQL, by the Python rows elsewhere.

    Both write the same bytes (tests/web/accounts/test_export_copy.py compares them on
    PostgreSQL for every filter); SQLite has no COPY, so it keeps the Python path.
    """
    if session.get_bind().dialect.name == "postgresql":
        return iter_export_csv_copy(session, account_id, filters, tz=tz, overrides=overrides)
    rows = iter_export_rows(session, account_id, filters, tz=tz, overrides=overrides)
    return (chunk.encode() for chunk in iter_csv(EXPORT_HEADER, rows))
