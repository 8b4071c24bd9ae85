"""Shared fixtures: one migrated database per run, emptied between tests.

The database is TEST_DATABASE_URL (PostgreSQL) when set, else in-memory SQLite; Redis
is TEST_REDIS_URL when set. With REQUIRE_SERVICE_TESTS=1 (CI), a test that needs
PostgreSQL or Redis fails instead of skipping, so CI can't go green by testing less.

Nothing Flask-dependent is imported at module level: this file is loaded for tests/core
too, which must run without Flask (tests/core/conftest.py gives it a plain database).
Helpers live in tests/support; import them from there, never from this module.
"""

from __future__ import annotations

import pytest

from tests.support.builders import make_customer
from tests.support.database import assert_books_hold, reset_database
from tests.support.services import TEST_DATABASE_URL, TEST_REDIS_URL, need_service


@pytest.fixture
def requires_postgres() -> str:
    need_service(TEST_DATABASE_URL.startswith("postgres"), "PostgreSQL (TEST_DATABASE_URL)")
    return TEST_DATABASE_URL


@pytest.fixture
def requires_redis() -> str:
    need_service(bool(TEST_REDIS_URL), "Redis (TEST_REDIS_URL)")
    return TEST_REDIS_URL


@pytest.fixture(scope="session")
def _app():
    from flask_migrate import upgrade
    from sqlalchemy import text

    from banking.app import create_app
    from banking.extensions import db
    from config import TestingConfig

    app = create_app(TestingConfig())
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
    return app


@pytest.fixture
def app(_app, request):
    """The app, with a clean database, cache, rate limits and outbox for each test.

    No app context is held during the test: each test-client request must get its own,
    as in production (a shared one would share `g` and the database session).
    Afterwards every invariant of `flask ledger verify --deep` must hold on what the test
    left behind, so each test's money movements are proved, not only the ones it checks;
    a test that breaks the books on purpose says so with `@pytest.mark.corrupts_ledger`.
    """
    from banking.extensions import cache, limiter
    from banking.services import email as email_service

    saved = dict(_app.config)
    reset_database(_app)
    with _app.app_context():
        cache.clear()
        limiter.reset()
        email_service.outbox.clear()
    yield _app
    if request.node.get_closest_marker("corrupts_ledger") is None:
        assert_books_hold(_app)
    _app.config.clear()
    _app.config.update(saved)


@pytest.fixture
def bank(app):
    """What builders write through: the app here; tests/core overrides it with a Database."""
    return app


@pytest.fixture
def ctx(app):
    """An app context for tests that call services directly (no HTTP)."""
    from banking.extensions import db

    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def alice(bank):
    """A customer with $100.00 in her checking account (the usual sender)."""
    return make_customer(bank, "Alice Able", balance="100.00")


@pytest.fixture
def bob(bank):
    """A customer with an empty checking account (the usual recipient)."""
    return make_customer(bank, "Bob Baker")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def restore_limiter(app):
    """Extra apps re-bind the shared limiter (its storage is global): put it back after."""
    from banking.extensions import limiter

    saved = dict(limiter.__dict__)
    yield
    limiter.__dict__.clear()
    limiter.__dict__.update(saved)
