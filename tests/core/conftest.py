"""tests/core runs on SQLAlchemy alone: no Flask app is created and Flask is never imported.

`database` is a plain engine + sessions (tests/support/database.py) on in-memory SQLite,
or on PostgreSQL when TEST_DATABASE_URL is set (in its own schema, so the app tiers'
migrated schema on the same database is left alone). Each test starts from empty
tables and the bank's system accounts, and afterwards the books must verify, exactly
as the app tier's `app` fixture checks them; `@pytest.mark.corrupts_ledger` opts out.
The shared builders and `alice`/`bob` take `bank`, which here is this `database`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tests.support.database import (
    Database,
    assert_books_hold,
    core_engine,
    create_core_schema,
    reset_database,
)
from tests.support.services import TEST_DATABASE_URL


@pytest.fixture(scope="session")
def _core_engine() -> Iterator[Engine]:
    engine = core_engine(TEST_DATABASE_URL)
    create_core_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def database(_core_engine: Engine, request: pytest.FixtureRequest) -> Iterator[Database]:
    """A clean bank on a plain SQLAlchemy engine; its books are verified after the test."""
    database = Database(_core_engine)
    reset_database(database)
    yield database
    if request.node.get_closest_marker("corrupts_ledger") is None:
        assert_books_hold(database)


@pytest.fixture
def bank(database: Database) -> Database:
    """Builders (make_customer, fund, ...) write straight to the database here."""
    return database
