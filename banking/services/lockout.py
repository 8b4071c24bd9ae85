"""Per-account sign-in lockout: N consecutive failures lock the account for M minutes.

Known accounts count in the database (`failed_logins`, `lockout_until`); unknown
emails count in the database too (`unknown_login_failures`, under a keyed hash of the
address), never in the cache, so that hammering an address that does not exist
produces exactly the same answers, at the same moments, as hammering one that does,
whether or not Redis is up: the threshold-th failure fixes the lock end once, failures while locked
neither count nor move it, and once it has passed counting starts again from zero.
Any difference (say, a lock end pushed back by every probe) would let a patient
attacker tell real addresses from made-up ones.

Counting is atomic on both sides (`failed_logins + 1` in SQL, an upsert's `+ 1` for
unknown addresses), so a burst of parallel wrong guesses counts every one of them.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.attributes import set_committed_value

from banking.core.models import UnknownLoginFailure, User
from banking.core.models.base import as_utc, update_if
from banking.extensions import db

# How long failures against an address with no account are remembered after the last
# one. A real account keeps its count until its next successful sign-in, which an
# unknown address never has; a month bounds the table while being far longer than any
# lockout window, so the two cannot be told apart in practice.
UNKNOWN_RETENTION = timedelta(days=30)


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


def _unknown_key(email: str) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return hmac.new(secret, email.encode("utf-8"), hashlib.sha256).hexdigest()


def _insert_for(session: Session):
    """The dialect's INSERT, which has ON CONFLICT DO UPDATE (PostgreSQL and SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql_insert
    return sqlite_insert


def register_unknown_failure(email: str, now: datetime) -> bool:
    """Count a failure for an address with no account; True while it "locks" like a real one.

    The same steps as `expire_if_due` + `register_failure` for a real account, on a row
    of `unknown_login_failures` in the same database transaction as the request's audit
    row: while locked nothing is counted and the lock end stays put; once it has passed,
    counting restarts from zero; the count is one atomic upsert (`+ 1 ... RETURNING`), so
    parallel probes all count; the threshold-th failure fixes the lock end once. No cache
    is involved, so a Redis outage changes nothing (it used to stop unknown addresses
    from ever locking while real ones did).
    """
    session = db.session
    key = _unknown_key(email)
    _purge_stale(session, now)
    Row = UnknownLoginFailure
    until = as_utc(session.scalar(select(Row.lockout_until).where(Row.key == key)))
    if until is not None:
        if until > now:
            return True
        session.execute(
            update(Row)
            .where(Row.key == key, Row.lockout_until.is_not(None), Row.lockout_until <= now)
            .values(failed_logins=0, lockout_until=None)
            .execution_options(synchronize_session=False)
        )
    insert = _insert_for(session)(Row).values(key=key, failed_logins=1, last_failure_at=now)
    count = session.execute(
        insert.on_conflict_do_update(
            index_elements=[Row.key],
            set_={"failed_logins": Row.failed_logins + 1, "last_failure_at": now},
        ).returning(Row.failed_logins)
    ).scalar_one()
    if count < _threshold():
        return False
    session.execute(
        update(Row)
        .where(Row.key == key, Row.lockout_until.is_(None))
        .values(lockout_until=now + _window())
        .execution_options(synchronize_session=False)
    )
    return True


_last_purge: datetime | None = None


def _purge_stale(session: Session, now: datetime) -> None:
    """Forget addresses nobody has tried for UNKNOWN_RETENTION, at most once a minute
    per process, so a spray of made-up addresses cannot grow the table without end."""
    global _last_purge
    if _last_purge is not None and now - _last_purge < timedelta(minutes=1):
        return
    _last_purge = now
    session.execute(
        delete(UnknownLoginFailure).where(
            UnknownLoginFailure.last_failure_at < now - UNKNOWN_RETENTION,
            (UnknownLoginFailure.lockout_until.is_(None))
            | (UnknownLoginFailure.lockout_until < now),
        )
        .execution_options(synchronize_session=False)
    )
