"""Per-account sign-in lockout: N consecutive failures lock the account for M minutes.

Known accounts count in the database (`failed_logins`, `lockout_until`). Unknown
emails count in the cache under a hashed key, so that hammering an address that does
not exist produces exactly the same "locked" answer as hammering one that does.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

from flask import current_app

from banking.extensions import cache
from banking.models import User
from banking.models.base import as_utc

log = logging.getLogger(__name__)


def _threshold() -> int:
    return int(current_app.config["LOCKOUT_THRESHOLD"])


def _window() -> timedelta:
    return timedelta(minutes=int(current_app.config["LOCKOUT_MINUTES"]))


def is_locked_out(user: User, now: datetime) -> bool:
    until = as_utc(user.lockout_until)
    return until is not None and until > now


def expire_if_due(user: User, now: datetime) -> None:
    """Once the window has passed, counting starts again from zero."""
    until = as_utc(user.lockout_until)
    if until is not None and until <= now:
        user.lockout_until = None
        user.failed_logins = 0


def register_failure(user: User, now: datetime) -> bool:
    """Count one failure; True when this failure locks the account."""
    user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins >= _threshold():
        user.lockout_until = now + _window()
        return True
    return False


def clear_failures(user: User) -> None:
    user.failed_logins = 0
    user.lockout_until = None


def _unknown_key(email: str) -> str:
    digest = hashlib.sha256(email.encode("utf-8")).hexdigest()[:32]
    return f"auth:unknown-failures:{digest}"


def register_unknown_failure(email: str) -> bool:
    """Count a failure for an address with no account; True once it "locks" like a real one."""
    key = _unknown_key(email)
    try:
        count = int(cache.get(key) or 0) + 1
        cache.set(key, count, timeout=int(_window().total_seconds()))
    except Exception as exc:  # noqa: BLE001 - a cache outage must not break sign-in
        log.warning("lockout cache unavailable", extra={"error_type": type(exc).__name__})
        return False
    return count >= _threshold()
