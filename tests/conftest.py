"""Shared fixtures: one migrated database per run, emptied between tests.

The database is TEST_DATABASE_URL (PostgreSQL) when set, else in-memory SQLite; Redis
is TEST_REDIS_URL when set. With REQUIRE_SERVICE_TESTS=1 (CI), a test that needs
PostgreSQL or Redis fails instead of skipping, so CI can't go green by testing less.
"""

from __future__ import annotations

import os
import re

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from banking.app import create_app
from banking.extensions import cache, db, limiter
from banking.services import email as email_service
from config import TestingConfig

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICE_TESTS") == "1"
PASSWORD = "correct horse battery staple"
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
    "scheduled_transfers",
    "payees",
    "journal_transactions",
    "accounts",
    "users",
]


def need_service(available: bool, what: str) -> None:
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required in this run (REQUIRE_SERVICE_TESTS=1) but not configured")
    pytest.skip(f"{what} not configured")


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
    saved = dict(_app.config)
    with _app.app_context():
        reset_database()
        cache.clear()
        limiter.reset()
        email_service.outbox.clear()
    yield _app
    with _app.app_context():
        db.session.remove()
        if request.node.get_closest_marker("corrupts_ledger") is None:
            _assert_books_hold()
        db.session.remove()
    _app.config.clear()
    _app.config.update(saved)


def _assert_books_hold() -> None:
    from banking.core.integrity import verify_ledger

    report = verify_ledger(db.session, deep=True)
    assert report.ok, "the test left the ledger broken:\n" + report.format()


@pytest.fixture
def ctx(app):
    """An app context for tests that call services directly (no HTTP)."""
    with app.app_context():
        yield app
        db.session.remove()


def reset_database() -> None:
    from banking.core.ledger import ensure_system_accounts

    db.session.remove()
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
        else:
            for table in TABLES:
                conn.execute(text(f"DELETE FROM {table}"))
    ensure_system_accounts(db.session)


@pytest.fixture
def alice(app):
    """A customer with $100.00 in her checking account (the usual sender)."""
    from tests.support.builders import make_customer  # builders imports this module: import late

    return make_customer(app, "Alice Able", balance="100.00")


@pytest.fixture
def bob(app):
    """A customer with an empty checking account (the usual recipient)."""
    from tests.support.builders import make_customer

    return make_customer(app, "Bob Baker")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_PATTERN.search(html)
    assert match, "no csrf_token on the page"
    return match.group(1)


def submit(
    client,
    url: str,
    data: dict | None = None,
    *,
    form_url: str | None = None,
    follow_redirects: bool = False,
    headers: dict | None = None,
):
    """POST a form the way a browser would: load the page first, then send its CSRF token."""
    page = client.get(form_url or url, headers=headers)
    payload = {"csrf_token": csrf_from(page.get_data(as_text=True))}
    payload.update(data or {})
    return client.post(url, data=payload, follow_redirects=follow_redirects, headers=headers)
