"""Engine wiring that differs by backend: SQLite's write lock, pool hygiene after fork."""

from __future__ import annotations

import logging

from sqlalchemy import event
from sqlalchemy.engine import Engine

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
