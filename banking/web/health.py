"""Liveness (`/healthz`, touches nothing) and readiness (`/readyz`: database, cache, broker).

Readiness answers 503 when a configured dependency does not answer, so a load balancer
stops sending requests that would fail. The broker counts: with it down, every email a
request queues (reset links, verification) would be lost to the customer.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from banking.extensions import csrf, db, limiter

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    return jsonify(status="ok")


def check_database() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        return True
    except Exception as exc:  # noqa: BLE001 - readiness reports, never raises
        log.warning("readiness: database down", extra={"error_type": type(exc).__name__})
        db.session.remove()
        return False


REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
TIMEOUT = 0.5  # seconds: a probe must answer well within the balancer's own timeout


def _ping_redis(url: str, what: str) -> bool:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception as exc:  # noqa: BLE001 - readiness reports, never raises
        # The type only: the URL (and its password) stays out of the logs.
        log.warning(f"readiness: {what} down", extra={"error_type": type(exc).__name__})
        return False


def check_redis() -> bool | None:
    """True/False for a configured Redis; None when this environment runs without one."""
    url = current_app.config.get("REDIS_URL")
    return _ping_redis(url, "redis") if url else None


def check_broker() -> bool | None:
    """True/False for a configured broker; None without one (tasks then run eagerly).

    Checked even when it is the same Redis as REDIS_URL: CELERY_BROKER_URL may name
    another server or database, and this is what the worker and the web really use.
    """
    url = current_app.config.get("CELERY_BROKER_URL")
    if not url:
        return None
    if url.startswith(REDIS_SCHEMES):
        return _ping_redis(url, "broker")
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=TIMEOUT) as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=TIMEOUT)
        return True
    except Exception as exc:  # noqa: BLE001
        log.warning("readiness: broker down", extra={"error_type": type(exc).__name__})
        return False


def _state(answer: bool | None) -> str:
    return "not configured" if answer is None else ("ok" if answer else "down")


def dependency_states() -> dict[str, str]:
    return {
        "database": "ok" if check_database() else "down",
        "redis": _state(check_redis()),
        "broker": _state(check_broker()),
    }


@bp.get("/readyz")
@limiter.exempt
def readyz():
    checks = dependency_states()
    ready = all(state != "down" for state in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), 200 if ready else 503


csrf.exempt(bp)
