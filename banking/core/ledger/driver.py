"""The PostgreSQL posting path's statements, handed straight to the driver (psycopg).

`run` sends one statement on the session's connection, in its transaction: the SQL is a
string compiled once, bound server-side (psycopg prepares it after a few uses). Building
Core constructs, or even SQLAlchemy's result objects, per transfer costs more CPU than
PostgreSQL spends running them.

`open_with` is for the first statement of a transaction whose parameters are numbers and
a timestamp (the lock call). psycopg opens a transaction by sending `BEGIN` on its own
and waiting for the answer, then the statement: two round trips, each ~70 µs of client
CPU here and a wake-up of the server process. `open_with` sends both in one message of
the simple query protocol (`BEGIN; SELECT …`), which PostgreSQL runs in order, each with
its own snapshot, and answers once. The driver and SQLAlchemy see what they always see:
psycopg reads the transaction state from libpq, which follows the server, so the
session's commit sends COMMIT (and a rollback ROLLBACK) as after psycopg's own BEGIN.
It falls back to `run` whenever psycopg would have sent more than a plain BEGIN (an
isolation level, read-only, autocommit) or a transaction is already open.

`commit_with` is for the last statement of a transaction: it sends the statement and
COMMIT in one message (`EXECUTE name(…); COMMIT`), the statement prepared by name once per
connection, its values written in as literals (numbers, libpq-escaped text, ISO
timestamps). That saves the COMMIT's round trip (the locks go one round trip sooner) and
psycopg's per-parameter adaptation: ~125 µs of client CPU per posting, half of what the
write and its commit cost. It answers None, having sent nothing, whenever it cannot: a
value of another type, no server-side prepared statements (behind pgbouncer's
transaction pooling, `DB_PREPARED_STATEMENTS=false`), no transaction open. The caller
then runs the statement with `run` and commits as usual.

Waiting for the server goes through psycopg's own wait loop (`Connection.wait` over its
`generators`), which lets other threads run meanwhile, as psycopg's `execute` does;
psycopg is pinned in requirements.txt, and these tests exercise that surface.

All three announce the statement to the engine's cursor events (statement counts, metrics)
and raise driver errors as SQLAlchemy's (`IntegrityError`, `OperationalError` …), so the
retry loop and the replay handling see what they always saw.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session


def run(session: Session, sql: str, params: dict[str, Any]) -> list[tuple]:
    """One statement on the session's connection, straight to the driver; its rows."""
    connection = session.connection()
    dbapi_connection = connection.connection
    cursor = dbapi_connection.cursor()
    dispatch = connection.dispatch
    dispatch.before_cursor_execute(connection, cursor, sql, params, None, False)
    try:
        cursor.execute(sql, params)
        rows = cursor.fetchall()  # every statement here returns rows
    except connection.dialect.loaded_dbapi.Error as exc:
        raise _translated(connection, exc, sql, params, cursor) from exc
    finally:
        cursor.close()
    dispatch.after_cursor_execute(connection, cursor, sql, params, None, False)
    return rows


def open_with(session: Session, literal_sql: str, sql: str, params: dict[str, Any]) -> list[tuple]:
    """`BEGIN; literal_sql` in one round trip if the session has no transaction open on
    the server yet, else `run(session, sql, params)`. The rows either way.

    `literal_sql` is `sql` with its parameters already written in: the caller builds it
    from integers and a timestamp only (the simple query protocol has no parameters).
    """
    from psycopg import pq

    connection = session.connection()
    raw = connection.connection.dbapi_connection
    pgconn = raw.pgconn
    if (
        pgconn.transaction_status != pq.TransactionStatus.IDLE
        or raw.autocommit
        or raw.isolation_level is not None
        or raw.read_only is not None
        or raw.deferrable is not None
    ):
        return run(session, sql, params)
    statement = f"BEGIN; {literal_sql}"
    dispatch = connection.dispatch
    dispatch.before_cursor_execute(connection, None, statement, {}, None, False)
    try:
        (result,) = _simple(raw, statement)[-1:]  # BEGIN's answer first, then the rows
        rows = _rows(raw, result)
    except connection.dialect.loaded_dbapi.Error as exc:
        raise _translated(connection, exc, statement, {}, None) from exc
    dispatch.after_cursor_execute(connection, None, statement, {}, None, False)
    return rows


def commit_with(session: Session, sql: str, params: dict[str, Any]) -> list[tuple] | None:
    """`sql` and COMMIT in one round trip; its rows. None (nothing sent) if it cannot.

    `sql` is written with psycopg's named placeholders (`%(name)s`), like `run`'s. The
    caller has nothing else to flush: the session's own commit afterwards finds the
    transaction already committed and sends nothing (it still runs its after-commit
    hooks). If the statement fails, PostgreSQL skips the COMMIT and the transaction is
    left failed, to be rolled back as after any failed statement.
    """
    from psycopg import pq

    connection = session.connection()
    record = connection.connection
    raw = record.dbapi_connection
    if (
        raw.pgconn.transaction_status != pq.TransactionStatus.INTRANS
        or raw.prepare_threshold is None
        or raw.autocommit
    ):
        return None
    text, names = _positional(sql)
    escaping = pq.Escaping(raw.pgconn)
    values = []
    for name in names:
        literal = _literal(escaping, params[name])
        if literal is None:
            return None
        values.append(literal)
    name = "banking_" + hashlib.sha256(text.encode()).hexdigest()[:16]
    statement = f"EXECUTE {name}({', '.join(values)}); COMMIT"
    prepared = record.info.setdefault(_PREPARED, set())
    dispatch = connection.dispatch
    dispatch.before_cursor_execute(connection, None, statement, {}, None, False)
    try:
        if name not in prepared:  # once per connection (not undone by a rollback)
            _simple(raw, f"PREPARE {name} AS {text}")
            prepared.add(name)
        results = _simple(raw, statement)
        rows = _rows(raw, results[0])
    except connection.dialect.loaded_dbapi.Error as exc:
        if getattr(exc, "sqlstate", None) == "26000":  # dropped (psycopg's DEALLOCATE ALL)
            prepared.clear()  # the retry (ledger.retries) prepares it again
        raise _translated(connection, exc, statement, {}, None) from exc
    dispatch.after_cursor_execute(connection, None, statement, {}, None, False)
    return rows


_PREPARED = "banking.ledger.prepared"  # key in the pooled connection's info: names made


@cache
def _positional(sql: str) -> tuple[str, tuple[str, ...]]:
    """`%(name)s` placeholders as `$1, $2 …` (one number per name) and the names in order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return re.sub(r"%\((\w+)\)s", number, sql), tuple(names)


def _literal(escaping: Any, value: Any) -> str | None:
    """A value as an SQL literal, or None for a type this does not write."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, str):
        return escaping.escape_literal(value.encode()).decode()
    if isinstance(value, datetime) and value.tzinfo is not None:
        return f"'{value.isoformat()}'::timestamptz"
    return None


def _simple(raw: Any, statement: str) -> Sequence[Any]:
    """One simple-protocol message and every result it gets; the first error raised."""
    from psycopg import errors, generators, pq

    raw.pgconn.send_query(statement.encode())
    results = raw.wait(generators.execute(raw.pgconn))  # the GIL is released meanwhile
    for result in results:
        if result.status not in (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK):
            raise errors.error_from_result(result, encoding=raw.info.encoding)
    return results


def _rows(raw: Any, result: Any) -> list[tuple]:
    """A result's rows as psycopg's cursors would load them."""
    from psycopg.adapt import Transformer

    loader = Transformer(raw)
    loader.set_pgresult(result)
    return loader.load_rows(0, result.ntuples, tuple)


def _translated(
    connection: Connection, exc: Exception, sql: str, params: dict[str, Any], cursor: Any
) -> DBAPIError:
    """The driver's error as SQLAlchemy raises it; a lost connection is invalidated."""
    dbapi_connection = connection.connection
    invalidated = connection.dialect.is_disconnect(exc, dbapi_connection, cursor)
    if invalidated:
        connection.invalidate(exc)
    return DBAPIError.instance(
        sql,
        params,
        exc,
        connection.dialect.loaded_dbapi.Error,
        connection_invalidated=invalidated,
        dialect=connection.dialect,
    )
