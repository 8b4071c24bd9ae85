"""Liveness touches nothing; readiness reports the database, Redis and the broker, 200 or 503."""

from __future__ import annotations

import pytest

from banking.app import create_app
from config import TestingConfig, normalize_database_url

# Extra apps re-bind the shared limiter: put it back after each test.
pytestmark = pytest.mark.usefixtures("restore_limiter")


CLOSED_PG = "postgresql://postgres@127.0.0.1:1/banking_nowhere"
CLOSED_REDIS = "redis://127.0.0.1:1/0"
CLOSED_AMQP = "amqp://guest:broker-pw@127.0.0.1:1//"
STATES = {"ok", "down", "not configured"}


def app_with(
    database_url: str | None = None, redis_url: str | None = None, broker_url: str | None = None
):
    """A testing app whose DATABASE_URL / REDIS_URL / CELERY_BROKER_URL point where the test
    says (no broker: tasks run eagerly, as in development)."""
    config = TestingConfig()
    config.CELERY_BROKER_URL = broker_url
    if database_url:
        config.SQLALCHEMY_DATABASE_URI = normalize_database_url(database_url)
        config.SQLALCHEMY_ENGINE_OPTIONS = config.engine_options()
    if redis_url:
        config.REDIS_URL = redis_url
        config.CACHE_TYPE = "RedisCache"
        config.CACHE_REDIS_URL = redis_url
        config.CACHE_OPTIONS = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
    return create_app(config)


def readyz(app):
    response = app.test_client().get("/readyz")
    body = response.get_json()
    assert set(body) == {"status", "checks"}
    assert set(body["checks"].values()) <= STATES, "readiness leaked error text"
    return response.status_code, body


def test_healthz_says_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_does_not_touch_the_database_or_redis(app):
    dead = app_with(CLOSED_PG, CLOSED_REDIS)
    response = dead.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_ready_without_redis_in_an_environment_that_has_none(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {
        "database": "ok",
        "redis": "not configured",
        "broker": "not configured",
    }


def test_readyz_is_200_against_real_postgres_and_redis(requires_postgres, requires_redis, app):
    status, body = readyz(app_with(requires_postgres, requires_redis))
    assert status == 200
    assert body == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "ok", "broker": "not configured"},
    }


def test_readyz_is_503_when_postgres_is_unreachable(requires_redis, app):
    status, body = readyz(app_with(CLOSED_PG, requires_redis))
    assert status == 503
    assert body["status"] == "unavailable"
    assert body["checks"] == {"database": "down", "redis": "ok", "broker": "not configured"}


def test_readyz_is_503_when_redis_is_unreachable(requires_postgres, app):
    status, body = readyz(app_with(requires_postgres, CLOSED_REDIS))
    assert status == 503
    assert body["checks"] == {"database": "ok", "redis": "down", "broker": "not configured"}


@pytest.mark.parametrize("database_url", [None, CLOSED_PG])
def test_readyz_reports_redis_down_without_any_service(app, database_url):
    status, body = readyz(app_with(database_url, CLOSED_REDIS))
    assert status == 503
    assert body["checks"]["redis"] == "down"
    if database_url:
        assert body["checks"]["database"] == "down"


def test_readyz_reports_a_broker_that_answers(requires_postgres, requires_redis, app):
    status, body = readyz(app_with(requires_postgres, requires_redis, broker_url=requires_redis))
    assert status == 200
    assert body["checks"] == {"database": "ok", "redis": "ok", "broker": "ok"}


@pytest.mark.parametrize("broker_url", [CLOSED_REDIS, CLOSED_AMQP])
def test_readyz_is_503_when_the_broker_does_not_answer(app, broker_url, caplog):
    """Queued emails would be lost: not ready. Neither the answer nor the log names the URL."""
    caplog.set_level("WARNING", logger="banking.web.health")
    status, body = readyz(app_with(broker_url=broker_url))
    assert status == 503
    assert body == {
        "status": "unavailable",
        "checks": {"database": "ok", "redis": "not configured", "broker": "down"},
    }
    assert "readiness: broker down" in caplog.messages
    assert "127.0.0.1:1" not in caplog.text and "broker-pw" not in caplog.text


def test_a_redis_outage_never_breaks_the_cache_aside_path(app):
    from banking import caching

    dead = app_with(None, CLOSED_REDIS)
    with dead.app_context():
        assert caching.get_or_load("user:1:dashboard", lambda: {"n": 1}, timeout=5) == {"n": 1}
        caching.invalidate_users([1])
