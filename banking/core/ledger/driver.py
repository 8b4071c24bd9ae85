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

Both announce the statement to the engine's cursor events (statement counts, metrics)
and raise driver errors as SQLAlchemy's (`IntegrityError`, `OperationalError` …), so the
retry loop and the replay handling see what they always saw.
"""

from __future__ import annotations

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
    from psycopg import errors, pq
    from psycopg.adapt import Transformer

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
        result = pgconn.exec_(statement.encode())  # releases the GIL while it waits
        if pgconn.status == pq.ConnStatus.BAD:
            # The server went away (a restart, a cut proxy) while the connection sat in the
            # pool. libpq answers with a result that has no SQLSTATE, which psycopg's
            # mapping would raise as a bare DatabaseError; psycopg's own path raises a lost
            # connection as OperationalError, and so must this one: it is what makes the
            # pool invalidate the connection and the web answer its friendly 503.
            message = pq.error_message(result) or pq.error_message(pgconn)
            raise errors.OperationalError(message or "the connection to the server was lost")
        if result.status != pq.ExecStatus.TUPLES_OK:
            raise errors.error_from_result(result, encoding=raw.info.encoding)
        loader = Transformer(raw)
        loader.set_pgresult(result)
        rows = loader.load_rows(0, result.ntuples, tuple)
    except connection.dialect.loaded_dbapi.Error as exc:
        raise _translated(connection, exc, statement, {}, None) from exc
    dispatch.after_cursor_execute(connection, None, statement, {}, None, False)
    return rows


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
