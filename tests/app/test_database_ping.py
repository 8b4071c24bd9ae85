"""A pooled PostgreSQL connection is pinged before use only after sitting idle
(`banking.database.ping_after_idle`): no round trip on a busy pool, and a connection that
died while idle is replaced without the caller seeing it."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from banking.database import ping_after_idle
from config import normalize_database_url


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def pool(requires_postgres):
    """An engine with a one-connection pool, the idle ping at 5 s on a hand-moved clock,
    and a count of the pings PostgreSQL received (psycopg's own cursor, under SQLAlchemy)."""
    engine = create_engine(normalize_database_url(requires_postgres), pool_size=1, max_overflow=0)
    clock = Clock()
    ping_after_idle(engine, 5, clock=clock)
    pings = []
    do_ping = engine.dialect.do_ping

    def counted(dbapi_connection):
        pings.append(1)
        return do_ping(dbapi_connection)

    engine.dialect.do_ping = counted
    yield engine, clock, pings
    engine.dispose()


def backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def kill(engine, pid: int) -> None:
    """Terminate one backend from another connection, as a server restart would."""
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_connection_used_moments_ago_is_not_pinged(pool):
    engine, clock, pings = pool
    first = backend_pid(engine)  # a new connection: just opened, no ping either
    clock.now += 4.9
    assert backend_pid(engine) == first
    assert pings == []


def test_a_connection_idle_for_the_threshold_is_pinged_once(pool):
    engine, clock, pings = pool
    first = backend_pid(engine)
    clock.now += 5
    assert backend_pid(engine) == first
    assert pings == [1]
    assert backend_pid(engine) == first  # used again at once: no second ping
    assert pings == [1]


def test_a_connection_that_died_while_idle_is_replaced_without_an_error(pool):
    engine, clock, pings = pool
    dead = backend_pid(engine)
    kill(engine, dead)
    clock.now += 60
    fresh = backend_pid(engine)
    assert fresh != dead
    assert pings == [1]


def test_a_connection_that_died_moments_ago_fails_once_then_the_pool_reconnects(pool):
    engine, _clock, pings = pool
    dead = backend_pid(engine)
    kill(engine, dead)
    # Not idle long enough to be pinged: the statement meets the dead connection, as a
    # request in flight during a server restart would (the app answers its friendly 503).
    with pytest.raises(OperationalError):
        backend_pid(engine)
    # SQLAlchemy invalidated the pool: the next use connects afresh, without a ping.
    assert backend_pid(engine) != dead
    assert pings == []


def test_zero_pings_before_every_use_like_pool_pre_ping(requires_postgres):
    engine = create_engine(normalize_database_url(requires_postgres), pool_size=1, max_overflow=0)
    ping_after_idle(engine, 0)
    try:
        dead = backend_pid(engine)
        kill(engine, dead)
        assert backend_pid(engine) != dead  # no error: the ping found it dead
    finally:
        engine.dispose()
