"""The signed-in user's snapshot in the cache, so a page view need not read the users row.

Every signed-in request needs to know who is asking (id, role, name, two-factor state,
whether an admin has locked them). Reading that from PostgreSQL costs a pool checkout
(pinged after idle), a SELECT and a ROLLBACK per page; the snapshot costs one Redis GET.

Design, and why it cannot let a locked or signed-out user back in:
- Per user, two keys: `user:<id>:session` holds plain data (the fields the web layer
  reads, a SHA-256 of the user's `session_token`, and a version); `user:<id>:session_v`
  is that user's version counter. Both are read with one MGET. No token in key names.
- A hit counts only when the entry's token hash matches the token of the session asking
  (so a rotated token never matches: sign-out, password change, 2FA on/off, admin
  actions) AND its version equals the counter's current value.
- Every commit that changed a users row in any way (ORM flush from any service, the CLI
  or the worker; Core UPDATE/DELETE statements on users by id, through
  `do_orm_execute`) increments the counter and deletes the entry after the commit, by
  session events registered once per process (`init_app`). A request that read the row
  before that commit stores its entry under the version it read *before* its query, so
  the entry is already outdated when it lands: the old state cannot come back.
- A cache error is a miss: the row is read from the database as before.
- Entries expire after USER_CACHE_SECONDS (0 turns the cache off).

The unread notifications (the header's badge) are cached beside the snapshot, not in it,
under the same rules with a counter of their own (`user:<id>:unread` and
`user:<id>:unread_v`, read in the same MGET): money arriving writes the recipient a
notification, and if that outdated their whole snapshot, a customer who is paid often
would have their users row read again on nearly every request (in the benchmark's ten
busy accounts, a third more CPU per transfer). A request that does not show the badge
(a form POST, a redirect) never needs the count; a page that shows it and finds the
entry outdated counts the rows then (`SessionUser.unread_notifications`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BindParameter

from banking import caching
from banking.caching import DATA_VERSION, user_key
from banking.core.models import User
from banking.extensions import cache

log = logging.getLogger(__name__)

# "session2": the snapshot holds no unread count since this name; during a rolling deploy,
# servers of the earlier era (key "session", with the count) never read these entries.
NAMESPACE = "session2"
VERSION_NAMESPACE = "session_v"
UNREAD_NAMESPACE = "unread"
UNREAD_VERSION_NAMESPACE = "unread_v"
# What the web layer may read from the snapshot; anything else loads the row.
FIELDS = (
    "id",
    "email",
    "full_name",
    "role",
    "is_locked",
    "totp_enabled",
    "email_verified",
)
_CHANGED_USERS = "banking.user_cache.changed_users"  # key in Session.info


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def snapshot_of(user: User) -> dict[str, Any]:
    """The plain data cached for `user` (no ORM instance: nothing can lazy-load later)."""
    return {
        "id": user.id,
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role,
        "is_locked": bool(user.is_locked),
        "totp_enabled": bool(user.totp_enabled),
        "email_verified": user.email_verified_at is not None,
        "token_sha256": token_digest(user.session_token),
    }


def _seconds() -> int:
    return int(current_app.config.get("USER_CACHE_SECONDS", 0) or 0)


def get(
    user_id: int, token: str, also: Sequence[str] = ()
) -> tuple[dict[str, Any] | None, int | None, list[Any]]:
    """(the snapshot if current and made for this token, the version read, `also`'s values).

    The version is None when nothing may be stored afterwards (cache off or failing).
    `also` are more cache keys read in the same round trip (the page's own entries), so a
    cached page costs one Redis call, not two; their values come back in that order
    (None for a miss, or for all of them when the cache is off or failing).
    """
    extras: list[Any] = [None] * len(also)
    if not _seconds():
        return None, None, extras
    keys = [user_key(NAMESPACE, user_id), user_key(VERSION_NAMESPACE, user_id), *also]
    try:
        values = cache.get_many(*keys)
    except Exception as exc:  # noqa: BLE001 - Redis down must not break a page
        log.warning("user cache read failed", extra={"error_type": type(exc).__name__})
        return None, None, extras
    value, version = values[0], values[1]
    extra = list(values[2:])
    version = version if isinstance(version, int) else 0
    if (
        isinstance(value, dict)
        and value.get("version") == version
        and hmac.compare_digest(value.get("token_sha256", ""), token_digest(token))
    ):
        return value, version, extra
    return None, version, extra


def put(snapshot: dict[str, Any], version: int, unread: tuple[int, int] | None = None) -> None:
    """Store a snapshot built from a row read *after* `version` was read, and with it (one
    round trip) `unread` = (count, unread version read before the count), if given."""
    entries = {user_key(NAMESPACE, snapshot["id"]): snapshot | {"version": version}}
    if unread is not None:
        entries[user_key(UNREAD_NAMESPACE, snapshot["id"])] = _unread_entry(*unread)
    _store(entries)


# The unread count -----------------------------------------------------------------------
def unread_keys(user_id: int) -> list[str]:
    """The count's entry and its counter: pass them to `get` as `also`, in this order."""
    return [user_key(UNREAD_NAMESPACE, user_id), user_key(UNREAD_VERSION_NAMESPACE, user_id)]


def unread_from(entry: Any, counter: Any) -> tuple[int | None, int]:
    """(the cached count if current, else None; the counter's value) from what `get` read."""
    version = counter if isinstance(counter, int) else 0
    if isinstance(entry, dict) and entry.get("version") == version:
        count = entry.get("count")
        if isinstance(count, int):
            return count, version
    return None, version


def put_unread(user_id: int, count: int, version: int) -> None:
    """Store a count made *after* `version` was read (a later change outdates it)."""
    _store({user_key(UNREAD_NAMESPACE, user_id): _unread_entry(count, version)})


def _unread_entry(count: int, version: int) -> dict[str, int]:
    return {"count": count, "version": version}


def unread_outdated_keys(user_ids: Iterable[int | None]) -> caching.Outdated:
    """(counters, entries) after a change to these users' notifications: their counts,
    and their cached pages (whose header shows the count: `caching.DATA_VERSION`)."""
    ids = sorted({uid for uid in user_ids if uid is not None})
    return (
        [user_key(key, uid) for uid in ids for key in (UNREAD_VERSION_NAMESPACE, DATA_VERSION)],
        [user_key(UNREAD_NAMESPACE, uid) for uid in ids],
    )


def _store(entries: dict[str, Any]) -> None:
    try:
        if len(entries) == 1:
            ((key, value),) = entries.items()
            cache.set(key, value, timeout=_seconds())
        else:
            cache.set_many(entries, timeout=_seconds())
    except Exception as exc:  # noqa: BLE001
        log.warning("user cache write failed", extra={"error_type": type(exc).__name__})


def invalidate(user_ids: Iterable[int | None]) -> None:
    """Outdate every entry of these users (see the module docstring), in one round trip.

    On Redis the version bumps and the deletes go in one pipeline, in that order. After a
    commit the session events send them with the commit's other cache work instead
    (`outdated_keys`, `banking.caching.outdate_after_commit`).
    """
    if not has_app_context():
        return
    caching.outdate(*outdated_keys(user_ids))


def outdated_keys(user_ids: Iterable[int | None]) -> caching.Outdated:
    """(version counters, entries) that outdate these users' snapshots."""
    ids = sorted({uid for uid in user_ids if uid is not None})
    return (
        [user_key(VERSION_NAMESPACE, uid) for uid in ids],
        [user_key(NAMESPACE, uid) for uid in ids],
    )


# Invalidation by session events ---------------------------------------------------------
def init_app(app: Flask) -> None:
    """Register the session events once per process (every session, every app)."""
    for name, listener in (
        ("after_flush", _collect_changed_users),
        ("do_orm_execute", _collect_bulk_changes),
        ("after_transaction_end", _forget_rolled_back),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
    caching.outdate_after_commit(_changed_users_committed)


def _collect_changed_users(session: Session, _flush_context) -> None:
    changed: set[int] = session.info.setdefault(_CHANGED_USERS, set())
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, User):
            identity = inspect(obj).identity
            if identity:
                changed.add(identity[0])


def _collect_bulk_changes(state: ORMExecuteState) -> None:
    """A Core/ORM-enabled UPDATE or DELETE on users: note the ids its WHERE names.

    Today's such statements (banking/services/lockout.py) say `User.id == <id>`. One that
    does not name the id cannot be traced to an entry: it is logged, and the entries
    expire on their own within USER_CACHE_SECONDS.
    """
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is None or getattr(table, "name", None) != User.__tablename__:
        return
    ids = _ids_in_where(state.statement.whereclause, state.parameters)
    if ids:
        state.session.info.setdefault(_CHANGED_USERS, set()).update(ids)
    else:
        log.warning("users changed in bulk; cached session users expire on their own")


def _ids_in_where(clause, parameters) -> set[int]:
    """The literal ids in `users.id = :x` comparisons of an AND-ed WHERE clause."""
    found: set[int] = set()
    if clause is None:
        return found
    nodes = [clause, *getattr(clause, "clauses", ())]
    for node in nodes:
        if not isinstance(node, BinaryExpression) or node.operator is not operators.eq:
            continue
        left, right = node.left, node.right
        if getattr(left, "table", None) is None or getattr(left, "name", None) != "id":
            continue
        if getattr(left.table, "name", None) != User.__tablename__:
            continue
        if isinstance(right, BindParameter):
            value = right.effective_value
            if isinstance(parameters, dict) and right.key in parameters:
                value = parameters[right.key]
            if isinstance(value, int):
                found.add(value)
    return found


def _changed_users_committed(session: Session) -> caching.Outdated | None:
    """After a root commit (`banking.caching` never asks for a savepoint's): the entries
    of the users it changed."""
    changed = session.info.pop(_CHANGED_USERS, None)
    return outdated_keys(changed) if changed else None


def _forget_rolled_back(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_CHANGED_USERS, None)
