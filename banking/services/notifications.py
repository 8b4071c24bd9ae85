"""Notifications: the inbox, the email choices, and what follows a notification's commit.

The rows are written by the service (or the core) recording each event, in that event's
own transaction (`banking.core.notifications` words them). After the commit:
- the recipients' unread count must show on their next page: the header reads it from the
  count cached beside the signed-in user's snapshot (`banking.user_cache`), so the commit
  outdates that count and their cached pages (not the snapshot itself), by the session
  events below;
- the email goes through an outbox: a notification that may be emailed is written
  pending (`email_pending`, in its event's transaction), and the worker's sweep
  (`banking.services.notification_outbox`) sends the pending ones, reading the user's
  choice when it runs, rendering the email from the stored text with links to the inbox
  under PUBLIC_BASE_URL, and clearing the flag with the delivery record. `dispatch()`
  only nudges it: one "sweep now" publish per second per process at most (beat sweeps
  every few seconds anyway), or, when tasks run eagerly (development, tests), the email
  sent right away. The request no longer publishes one task per notification (that was
  the largest CPU item of a transfer confirmation), and a broker outage only delays the
  email to the next sweep instead of leaving it to an admin in the failed-jobs list.

Why `dispatch()` is called by the services rather than by a commit event: a task run
eagerly (development, tests) reads the database, which a session cannot do from inside its
own `after_commit`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from banking import caching, user_cache
from banking.background import eager, enqueue
from banking.core import audit as core_audit
from banking.core import notifications as catalogue
from banking.core.errors import DomainError
from banking.core.models import Notification, NotificationPreference, User
from banking.core.models.base import utcnow
from banking.extensions import db
from banking.services import notification_outbox as outbox

log = logging.getLogger(__name__)

EMAIL_TASK = outbox.EMAIL_TASK
PAGE_SIZE = 20
KICK_INTERVAL = 1.0  # seconds between two "sweep now" publishes from one process
_COMMITTED = "banking.notifications.committed"  # key in Session.info: awaiting dispatch()
_KICKS = "banking.notifications.kicks"  # key in app.extensions: this app's KickThrottle


class PreferenceRefused(DomainError):
    code = "notification_preference_refused"


# After the commit ------------------------------------------------------------------------
def init_app(app: Flask) -> None:
    """Register the session events once per process (every session, every app)."""
    for name, listener in (
        ("after_flush", _collect_written),
        ("after_transaction_end", _forget_rolled_back),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
    # Run by banking.caching's after-commit listener, so that the snapshots outdated here
    # go in the same Redis pipeline as the commit's other cache work.
    caching.outdate_after_commit(_committed)


def _collect_written(session: Session, _flush_context) -> None:
    """Notifications this flush inserted or marked read (ids are known after a flush)."""
    written = session.info.setdefault(catalogue.WRITTEN, [])
    for obj in session.new:
        if isinstance(obj, Notification):
            written.append((obj.id, obj.user_id, obj.kind))
    for obj in session.dirty:
        if isinstance(obj, Notification):
            written.append((None, obj.user_id, None))  # read: the count changed, no email


def _committed(session: Session) -> caching.Outdated | None:
    """After a root commit: note the notifications awaiting `dispatch`, and outdate their
    users' unread counts and the pages whose header shows them, now that the change is
    visible to everyone."""
    written = session.info.pop(catalogue.WRITTEN, [])
    if not written:
        return None
    session.info.setdefault(_COMMITTED, []).extend(
        (nid, kind) for nid, _, kind in written if nid is not None
    )
    return user_cache.unread_outdated_keys({user_id for _, user_id, _ in written})


def _forget_rolled_back(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(catalogue.WRITTEN, None)


Hook = Callable[[Session, Any], None]


def with_hold_notices(hook: Hook | None) -> Hook:
    """A ledger hook that runs `hook`, then adds the notices of a decided held transfer
    (the sender's, and on approval the recipient's) in the same transaction."""

    def run(session: Session, txn: Any) -> None:
        if hook is not None:
            hook(session, txn)
        session.add_all(catalogue.about_decided_hold(session, txn))

    return run


def dispatch(session: Session | None = None) -> int:
    """After a commit: see that the emails of the notifications it wrote go out.

    They are already in the outbox (`email_pending`, written with them); the worker's
    sweep sends them. Returns how many of them may be emailed (kinds with their own email
    never are; the sweep reads the user's choice).
    - With a broker: one "sweep now" publish, at most one per KICK_INTERVAL in this
      process whatever the number of notifications or requests (beat's sweep is the
      safety net); a failed publish is a warning, never the request's error.
    - Eagerly (development, tests): each is delivered now, as the action's own email
      would be, so it is there right after the action.
    """
    session = session or db.session
    committed = session.info.pop(_COMMITTED, [])
    emailable = [
        notification_id
        for notification_id, kind in committed
        if (info := catalogue.CATALOGUE.get(kind)) is not None and not info.own_email
    ]
    if not emailable:
        return 0
    if eager():
        for notification_id in emailable:
            _publish(outbox.EMAIL_TASK, notification_id)
    elif _kick_throttle().due(time.monotonic()):
        _publish(outbox.SWEEP_TASK)
    return len(emailable)


class KickThrottle:
    """At most one "sweep now" per `interval` seconds (monotonic clock), thread-safe.

    One per Flask app (`app.extensions`): per process in production. A web process's
    threads share it, so a burst of transfers sends one kick, not one per thread."""

    def __init__(self, interval: float = KICK_INTERVAL) -> None:
        self.interval = interval
        self._last = float("-inf")
        self._lock = threading.Lock()

    def due(self, now: float) -> bool:
        with self._lock:
            if now - self._last < self.interval:
                return False
            self._last = now
            return True


def _kick_throttle() -> KickThrottle:
    throttle = current_app.extensions.get(_KICKS)
    if throttle is None:
        throttle = current_app.extensions.setdefault(_KICKS, KickThrottle())
    return throttle


def _publish(task: str, *args: Any) -> bool:
    """Hand `task` to the worker; a broker that is down must not fail the request.

    Dispatch runs after the event committed (a transfer has already moved the money), so
    an error here would tell the customer that something failed when it did not. Nothing
    is lost: the notification stays pending and beat's next sweep sends its email.
    """
    try:
        enqueue(task, *args)
    except Exception as exc:  # noqa: BLE001 - broker down: the sweep sends it later
        log.warning(
            "notification email waits for the next sweep",
            extra={"task": task, "error_type": type(exc).__name__},
        )
        return False
    return True


def session_user(token: str) -> tuple[User, int] | None:
    """The user a signed-in session's id (their `session_token`) belongs to, and their
    unread notifications, in one statement (`banking.web.sessions.load_user` asks).

    Read with the user (whose snapshot is cached with the count beside it), the count
    costs no query of its own when the snapshot is made.
    """
    if not token:
        return None
    row = db.session.execute(
        select(User, unread_count_column(User.id)).where(User.session_token == token)
    ).first()
    return (row[0], int(row[1] or 0)) if row is not None else None


def note_sign_in_device(session: Session, user: User, known_device: Callable[[int], bool]) -> None:
    """A completed sign-in: a security notice when the browser is new to this user.

    `known_device(user_id)` is the web layer's answer (a cookie). A user's very first
    sign-in has no usual device to differ from: no notice.
    """
    if user.last_login_at is None or known_device(user.id):
        return
    origin = core_audit.current_origin()
    device = describe_device(origin.user_agent if origin else None)
    session.add(catalogue.new_device(user.id, device=device))


def describe_device(user_agent: str | None) -> str:
    """ "Firefox on Windows": enough for a person to recognise (or not) their device."""
    agent = user_agent or ""
    browser = next(
        (
            name
            for token, name in (
                ("Edg/", "Edge"),
                ("OPR/", "Opera"),
                ("Firefox/", "Firefox"),
                ("Chrome/", "Chrome"),
                ("Chromium/", "Chromium"),
                ("Safari/", "Safari"),
            )
            if token in agent
        ),
        "a browser",
    )
    system = next(
        (
            name
            for token, name in (
                ("Android", "Android"),
                ("iPhone", "iPhone"),
                ("iPad", "iPad"),
                ("Windows", "Windows"),
                ("Mac OS X", "macOS"),
                ("CrOS", "ChromeOS"),
                ("Linux", "Linux"),
            )
            if token in agent
        ),
        None,
    )
    return f"{browser} on {system}" if system else browser


# The inbox -------------------------------------------------------------------------------
@dataclass(frozen=True)
class InboxPage:
    items: list[Notification]
    older: int | None  # the `before` of the next page, None on the last


def inbox(user_id: int, *, before: int | None = None, limit: int = PAGE_SIZE) -> InboxPage:
    """The user's notifications, newest first, `limit` at a time (keyset on the id)."""
    query = select(Notification).where(Notification.user_id == user_id)
    if before is not None:
        query = query.where(Notification.id < before)
    rows = list(db.session.scalars(query.order_by(Notification.id.desc()).limit(limit + 1)))
    older = rows[limit - 1].id if len(rows) > limit else None
    return InboxPage(rows[:limit], older)


def unread_count(session: Session, user_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


def unread_count_of(user_id: int) -> int:
    """The user's unread count, on the request's session (nothing to commit: a read)."""
    return unread_count(db.session, user_id)


def unread_count_column(user_id_column: Any) -> Any:
    """The unread count as a scalar subquery, to read it in the same statement as the user."""
    return (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id_column, Notification.read_at.is_(None))
        .scalar_subquery()
    )


@dataclass(frozen=True)
class Opened:
    link: str | None  # a path inside the app


def open_notification(user_id: int, notification_id: int) -> Opened | None:
    """Mark one of the user's notifications read (committed); None if it is not theirs."""
    session = db.session
    notification = session.scalar(
        select(Notification).where(
            Notification.id == notification_id, Notification.user_id == user_id
        )
    )
    if notification is None:
        session.rollback()
        return None
    if notification.read_at is None:
        notification.read_at = utcnow()
    opened = Opened(notification.link)
    session.commit()
    return opened


def mark_all_read(user_id: int, *, now: datetime | None = None) -> int:
    """Mark every unread notification of the user read (committed); how many were."""
    session = db.session
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    changed = result.rowcount or 0
    if changed:
        session.info.setdefault(catalogue.WRITTEN, []).append((None, user_id, None))
    session.commit()
    return changed


# Email choices ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Choice:
    kind: str
    label: str
    email: bool
    security: bool  # always on; shown disabled


def email_choices(user_id: int) -> list[Choice]:
    stored = dict(
        db.session.execute(
            select(NotificationPreference.kind, NotificationPreference.email).where(
                NotificationPreference.user_id == user_id
            )
        ).all()
    )
    return [
        Choice(
            kind,
            info.label,
            True if info.security else stored.get(kind, True),
            info.security,
        )
        for kind, info in catalogue.CATALOGUE.items()
    ]


def set_email_choices(user_id: int, wanted: dict[str, bool]) -> None:
    """Store the user's email choices (committed). Security notices cannot be turned off.

    `wanted` maps kinds to on/off; a kind it leaves out is left as it is.
    """
    session = db.session
    for kind, email in wanted.items():
        info = catalogue.CATALOGUE.get(kind)
        if info is None:
            raise PreferenceRefused("That is not a kind of notification.")
        if info.security and not email:
            raise PreferenceRefused(
                f"“{info.label}” is a security notice: its emails cannot be turned off."
            )
    for kind, email in wanted.items():
        if catalogue.CATALOGUE[kind].security:
            continue
        row = session.get(NotificationPreference, (user_id, kind))
        if row is None:
            session.add(NotificationPreference(user_id=user_id, kind=kind, email=email))
        else:
            row.email = email
    session.commit()
