"""Engine wiring that differs by backend: SQLite's write lock, pool hygiene after fork,
and the liveness check of pooled server connections."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

log = logging.getLogger(__name__)


def configure_engine(engine: Engine) -> None:
    """Make SQLite take its write lock at BEGIN, so concurrent writers queue instead of failing.

    pysqlite's own transaction handling defers the lock to the first write, which turns
    a read-then-write (check funds, then debit) into a race; BEGIN IMMEDIATE closes it.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            # Under WAL, NORMAL keeps the database consistent on a crash and skips an fsync
            # per commit; the embedded default is for development, not for real money.
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


_IDLE_SINCE = "banking.idle_since"  # key in the pool's ConnectionRecord.info


def ping_after_idle(
    engine: Engine, seconds: float, clock: Callable[[], float] = time.monotonic
) -> None:
    """Check a pooled connection with a ping before use, but only if it sat in the pool
    for at least `seconds` (0: before every use, as `pool_pre_ping` does).

    Why not `pool_pre_ping`: it costs a round trip to PostgreSQL on *every* checkout, one
    more per request than a page or a transfer needs (~1 in 5 of a transfer's round trips;
    PostgreSQL pays for it too). What the ping protects against is a connection that died
    while nobody used it: a server restart or failover, an idle timeout in a proxy or a
    firewall. A connection used moments ago is very likely alive. If it is not (the server
    went away in those moments), the request's first statement fails as a disconnect: the
    friendly 503, and SQLAlchemy invalidates every connection of the pool older than the
    failure, so the following requests reconnect - what happens anyway to the requests in
    flight when a server goes down. A failed ping, as with `pool_pre_ping`, is silent:
    the pool discards that connection and hands out a fresh one.
    """
    if engine.dialect.name == "sqlite":
        return
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    def _connected(_dbapi_connection, record) -> None:
        record.info[_IDLE_SINCE] = clock()  # just opened: no ping needed

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record) -> None:
        if record is not None:
            record.info[_IDLE_SINCE] = clock()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is not None and clock() - idle_since < seconds:
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                # The pool drops this connection and checks out another (up to 3 times).
                raise DisconnectionError() from error
            raise
        if not alive:
            raise DisconnectionError()


def dispose_engines(app) -> None:
    """Drop pooled connections inherited from a parent process (gunicorn --preload).

    `close=False` leaves the parent's sockets alone; the child just starts a new pool.
    """
    from banking.extensions import db

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)


def init_app(app) -> None:
    """Close each request's session without letting a dead connection fail the request.

    Registered after Flask-SQLAlchemy, so it runs first at teardown. When PostgreSQL
    killed the connection mid-request, the rollback that closing does raises, and a
    teardown error escapes every error handler: gunicorn's bare 500 *after* the friendly
    answer was built. Invalidating drops the dead connection from the pool instead.
    Found by tests/reliability/test_faults.py (pg_terminate_backend under load).
    """
    from banking.extensions import db

    @app.teardown_appcontext
    def remove_session_safely(_exc) -> None:
        try:
            db.session.remove()
        except Exception as error:  # noqa: BLE001 - the connection is gone; nothing to undo
            log.warning("session close failed", extra={"error_type": type(error).__name__})
            try:
                db.session.invalidate()
            except Exception:  # noqa: BLE001, S110 - invalidation is best effort
                pass
            db.session.registry.clear()
