"""One way for helpers to reach the database, whether or not a Flask app is in the test.

The app tiers hand helpers the `app`; tests/core hands them a plain `Database` (engine +
sessions, no Flask). `as_database()` turns either into a `Database`, so a helper such as
`send()` or `make_customer()` exists once and serves every tier. This module imports no
Flask at module level: tests/core must run without Flask ever being imported.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from banking.core import models
from banking.core.ledger import lock_function
from banking.core.models.base import Base
from banking.database import configure_engine
from config import normalize_database_url

if TYPE_CHECKING:
    from flask import Flask

# Every table the tests write to, children before parents, so DELETE order respects FKs.
TABLES = [
    "failed_jobs",
    "email_deliveries",
    "ledger_checks",
    "pending_admin_actions",
    "audit_events",
    "unknown_login_failures",
    "recovery_codes",
    "holds",
    "entries",
    "savings_goals",
    "category_overrides",
    "statement_documents",
    "scheduled_transfers",
    "payees",
    "journal_transactions",
    "accounts",
    "users",
]

# tests/core builds its schema from the models, not from migrations (Alembic's env needs
# Flask), so it adds the one guard the models cannot express: migration 0001's
# append-only trigger on journal entries. Its own schema keeps the core tier off the
# app tier's migrated `public` schema on the same PostgreSQL database.
CORE_SCHEMA = "core_tests"
APPEND_ONLY_ENTRIES = [
    """
    CREATE FUNCTION refuse_entry_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'journal entries are append-only';
    END;
    $$ LANGUAGE plpgsql
    """,
    "CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries "
    "FOR EACH ROW EXECUTE FUNCTION refuse_entry_change()",
]


class Database:
    """Fresh sessions on one engine: what the ledger, builders and assertions need."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @property
    def engine(self) -> Engine:
        return self._engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A new session, closed afterwards: each step reads the database, not a stale cache."""
        session = Session(self._engine)
        try:
            yield session
        finally:
            session.close()


class AppDatabase(Database):
    """The app's own Flask-SQLAlchemy session, each use in its own app context.

    Removing the session afterwards is what the end of a request does, so helpers used
    by the app tiers behave exactly as they did when they opened app contexts themselves.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app

    @property
    def engine(self) -> Engine:
        from banking.extensions import db

        with self.app.app_context():
            return db.engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        from banking.extensions import db

        with self.app.app_context():
            try:
                yield db.session
            finally:
                db.session.remove()


def as_database(target: Database | Flask | Any) -> Database:
    """`target` as a Database: itself, or the Flask app's database."""
    if isinstance(target, Database):
        return target
    return AppDatabase(target)


def empty_tables(conn: Connection) -> None:
    """Delete every row the previous test left (system accounts are re-made by the caller)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    else:
        for table in TABLES:
            conn.execute(text(f"DELETE FROM {table}"))


def core_engine(url: str) -> Engine:
    """The engine tests/core runs on: `url` when PostgreSQL, else in-memory SQLite.

    SQLite gets the app's own engine wiring (BEGIN IMMEDIATE, foreign keys on), and one
    shared connection (StaticPool) like the app tier's test config, so threads see the
    same in-memory database. PostgreSQL gets its own schema via the search path.
    """
    if url.startswith("postgres"):
        engine = create_engine(
            normalize_database_url(url),
            connect_args={"options": f"-c search_path={CORE_SCHEMA}"},
            pool_pre_ping=True,
        )
    else:
        engine = create_engine(
            "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    configure_engine(engine)
    return engine


def create_core_schema(engine: Engine) -> None:
    """A fresh schema from the models (plus the append-only trigger on PostgreSQL)."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {CORE_SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {CORE_SCHEMA}"))
    assert models.Account.__table__.metadata is Base.metadata  # every model is registered
    Base.metadata.create_all(engine)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for statement in APPEND_ONLY_ENTRIES:
                conn.execute(text(statement))
            # The posting path's lock function (migration 0015), from the core's own text.
            conn.execute(text(lock_function.CREATE_SQL))


def reset_database(target: Database | Flask) -> None:
    """Empty every table and re-make the bank's system accounts: a clean bank per test."""
    from banking.core.ledger import ensure_system_accounts

    database = as_database(target)
    with database.engine.begin() as conn:
        empty_tables(conn)
    with database.session() as session:
        ensure_system_accounts(session)


def assert_books_hold(target: Database | Flask) -> None:
    """Every invariant of `flask ledger verify --deep` holds on what the test left behind."""
    from banking.core.integrity import verify_ledger

    with as_database(target).session() as session:
        report = verify_ledger(session, deep=True)
    assert report.ok, "the test left the ledger broken:\n" + report.format()
