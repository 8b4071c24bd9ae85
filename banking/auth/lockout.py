"""Per-account sign-in lockout: N consecutive failures lock the account for M minutes.

Known accounts count in the database (`failed_logins`, `lockout_until`). Unknown
emails count in the cache under a hashed key, so that hammering an address that does
not exist produces exactly the same answers, at the same moments, as hammering one
that does: the threshold-th failure fixes the lock end once, failures while locked
neither count nor move it, and once it has passed counting starts again from zero.
Any difference (say, a lock end pushed back by every probe) would let a patient
attacker tell real addresses from made-up ones.

Counting is atomic on both sides (`failed_logins + 1` in SQL, `INCR` in Redis), so a
burst of parallel wrong guesses counts every one of them.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import func, update
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.attributes import set_committed_value

from banking.extensions import cache, db
from banking.models import User
from banking.models.base import as_utc, update_if

log = logging.getLogger(__name__)

# How long the cache remembers failures against an address with no account, counted
# from the first failure of a series. A real account keeps its count until its next
# successful sign-in; the cache cannot keep every address ever probed, so a day bounds
# its memory while staying far longer than the lockout window.
UNKNOWN_COUNT_RETENTION = timedelta(days=1)


@dataclass(frozen=True)
class Failure:
    """What one counted failure did: `locked` when the account is now locked (this or a
    concurrent failure reached the threshold), `newly_locked` when this one set the lock."""

    count: int
    locked: bool
    newly_locked: bool


def _threshold() -> int:
    return int(current_app.config["LOCKOUT_THRESHOLD"])


def _window() -> timedelta:
    return timedelta(minutes=int(current_app.config["LOCKOUT_MINUTES"]))


def _session_of(user: User) -> Session:
    return object_session(user) or db.session


def is_locked_out(user: User, now: datetime) -> bool:
    until = as_utc(user.lockout_until)
    return until is not None and until > now


def expire_if_due(user: User, now: datetime) -> None:
    """Once the window has passed, counting starts again from zero.

    Conditional on the lock having ended, in SQL: two requests arriving just after the
    window both see it over, but only the first resets, so a failure the other counted
    in between is not wiped.
    """
    until = as_utc(user.lockout_until)
    if until is None or until > now:
        return
    _session_of(user).execute(
        update(User)
        .where(User.id == user.id, User.lockout_until.is_not(None), User.lockout_until <= now)
        .values(failed_logins=0, lockout_until=None)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(user, "failed_logins", 0)
    set_committed_value(user, "lockout_until", None)


def register_failure(user: User, now: datetime) -> Failure:
    """Count one failure in the database; lock the account at the threshold.

    `failed_logins = failed_logins + 1 ... RETURNING` rather than read-then-write: two
    concurrent failures read the same count and would write the same number, letting an
    attacker double the guesses allowed. The lock end is written only where none is
    set, so it is fixed once, by the threshold-th failure, and never extended.
    """
    session = _session_of(user)
    count = session.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_logins=func.coalesce(User.failed_logins, 0) + 1)
        .returning(User.failed_logins)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    set_committed_value(user, "failed_logins", count)
    if count < _threshold():
        return Failure(count, locked=False, newly_locked=False)
    claimed = update_if(session, user, User.lockout_until.is_(None), lockout_until=now + _window())
    return Failure(count, locked=True, newly_locked=claimed)


def clear_failures(user: User) -> None:
    user.failed_logins = 0
    user.lockout_until = None


def _unknown_keys(email: str) -> tuple[str, str]:
    digest = hashlib.sha256(email.encode("utf-8")).hexdigest()[:32]
    return f"auth:unknown-failures:{digest}", f"auth:unknown-lock:{digest}"


def _lock_end(value: object) -> datetime | None:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return None


def register_unknown_failure(email: str, now: datetime) -> bool:
    """Count a failure for an address with no account; True while it "locks" like a real one.

    The same steps as a real account, in the cache: while locked (lock end after `now`)
    nothing is counted and the lock end stays put; once it has passed, both keys are
    dropped and counting restarts; the threshold-th failure writes the lock end with
    `add`, which only writes an absent key, so it is fixed once. The count is `add(0)`
    then `inc`: atomic in Redis (INCR keeps the key's expiry), so parallel probes all count.
    """
    count_key, lock_key = _unknown_keys(email)
    retention = int(max(UNKNOWN_COUNT_RETENTION, _window()).total_seconds())
    try:
        until = _lock_end(cache.get(lock_key))
        if until is not None:
            if until > now:
                return True
            cache.delete_many(count_key, lock_key)
        cache.add(count_key, 0, timeout=retention)
        count = int(cache.cache.inc(count_key) or 0)  # Flask-Caching proxies no `inc`
        if count < _threshold():
            return False
        # Written after the count, with the same retention: the lock end outlives the
        # count that caused it, so a remembered count never loses its lock end.
        cache.add(lock_key, (now + _window()).timestamp(), timeout=retention)
    except Exception as exc:  # noqa: BLE001 - a cache outage must not break sign-in
        log.warning("lockout cache unavailable", extra={"error_type": type(exc).__name__})
        return False
    return True
