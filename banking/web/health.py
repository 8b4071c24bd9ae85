"""Liveness (`/healthz`, touches nothing) and readiness (`/readyz`, database and cache)."""

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


def check_redis() -> bool | None:
    """True/False for a configured Redis; None when this environment runs without one."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception as exc:  # noqa: BLE001
        log.warning("readiness: redis down", extra={"error_type": type(exc).__name__})
        return False


def dependency_states() -> dict[str, str]:
    redis_ok = check_redis()
    return {
        "database": "ok" if check_database() else "down",
        "redis": "not configured" if redis_ok is None else ("ok" if redis_ok else "down"),
    }


@bp.get("/readyz")
@limiter.exempt
def readyz():
    checks = dependency_states()
    ready = all(state != "down" for state in checks.values())
    return jsonify(status="ok" if ready else "unavailable", checks=checks), 200 if ready else 503


csrf.exempt(bp)
