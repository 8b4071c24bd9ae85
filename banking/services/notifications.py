"""Notifications: the inbox, the email choices, and what follows a notification's commit.

The rows are written by the service (or the core) recording each event, in that event's
own transaction (`banking.core.notifications` words them). After the commit:
- the recipients' unread count must show on their next page: the header reads it from the
  signed-in user's cached snapshot (`banking.user_cache`), so the commit outdates their
  snapshot (and with it their cached pages), by the session events below;
- the email goes through the worker: `dispatch()` queues one task per notification that
  may be emailed, and the task (`deliver_email`) reads the user's choice when it runs,
  renders the email from the stored text and links to the inbox under PUBLIC_BASE_URL.

Why `dispatch()` is called by the services rather than by a commit event: a task run
eagerly (development, tests) reads the database, which a session cannot do from inside its
own `after_commit`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from banking import user_cache
from banking.background import enqueue
from banking.core import audit as core_audit
from banking.core import notifications as catalogue
from banking.core.errors import DomainError
from banking.core.models import Notification, NotificationPreference, User
from banking.core.models.base import utcnow
from banking.extensions import db

log = logging.getLogger(__name__)

EMAIL_TASK = "banking.send_notification_email"
PAGE_SIZE = 20
_COMMITTED = "banking.notifications.committed"  # key in Session.info: awaiting dispatch()


class PreferenceRefused(DomainError):
    code = "notification_preference_refused"


# After the commit ------------------------------------------------------------------------
def init_app(app: Flask) -> None:
    """Register the session events once per process (every session, every app)."""
    for name, listener in (
        ("after_flush", _collect_written),
        ("after_commit", _committed),
        ("after_transaction_end", _forget_rolled_back),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def _collect_written(session: Session, _flush_context) -> None:
    """Notifications this flush inserted or marked read (ids are known after a flush)."""
    written = session.info.setdefault(catalogue.WRITTEN, [])
    for obj in session.new:
        if isinstance(obj, Notification):
            written.append((obj.id, obj.user_id, obj.kind))
    for obj in session.dirty:
        if isinstance(obj, Notification):
            written.append((None, obj.user_id, None))  # read: the count changed, no email


def _committed(session: Session) -> None:
    if session.in_nested_transaction():
        return
    written = session.info.pop(catalogue.WRITTEN, [])
    if not written:
        return
    # The header's unread count lives in the user's snapshot: outdate it (and so the pages
    # cached under it) now that the change is visible to everyone.
    if has_app_context():
        user_cache.invalidate({user_id for _, user_id, _ in written})
    session.info.setdefault(_COMMITTED, []).extend(
        (nid, kind) for nid, _, kind in written if nid is not None
    )


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
    """Queue the email of every notification committed on this session since the last call.

    Returns how many were queued. Kinds that never email (their event has its own email)
    are skipped here; the worker checks the user's choice.
    """
    session = session or db.session
    committed = session.info.pop(_COMMITTED, [])
    queued = 0
    for notification_id, kind in committed:
        info = catalogue.CATALOGUE.get(kind)
        if info is None or info.own_email:
            continue
        enqueue(EMAIL_TASK, notification_id)
        queued += 1
    return queued


def deliver_email(notification_id: int, *, key: str | None = None) -> bool:
    """The worker's side: email one notification, once, if its kind and the user allow it.

    True when this call sent it. Idempotent per notification (a retried or duplicated
    task finds the delivery row sent).
    """
    from banking.public_urls import public_url
    from banking.services import outgoing_mail
    from banking.services.email import send_email

    session = db.session
    notification = session.get(Notification, notification_id)
    if notification is None:
        session.rollback()
        return False
    preference = session.scalar(
        select(NotificationPreference.email).where(
            NotificationPreference.user_id == notification.user_id,
            NotificationPreference.kind == notification.kind,
        )
    )
    if not catalogue.wants_email(notification.kind, preference):
        session.rollback()
        return False
    user = session.get(User, notification.user_id)
    if user is None:
        session.rollback()
        return False
    delivery = outgoing_mail.locked_delivery(
        session, key or f"notification:{notification_id}", f"n:{notification.kind}"[:40], user.id
    )
    if delivery.sent_at is not None:
        session.rollback()
        return False
    delivery.attempts += 1
    bank = current_app.config["BANK_NAME"]
    settings = (
        "This is a security notice: it is always emailed."
        if catalogue.is_security(notification.kind)
        else "You can turn these emails off in your profile."
    )
    send_email(
        user.email,
        f"{bank}: {notification.title}",
        f"Hello {user.full_name},\n\n{notification.body}\n\n"
        f"See it in your {bank} inbox: {public_url('notifications.inbox')}\n\n{settings}\n",
    )
    delivery.sent_at = utcnow()
    session.commit()
    log.info(
        "notification emailed", extra={"notification_kind": notification.kind, "user_id": user.id}
    )
    return True


def session_user(token: str) -> tuple[User, int] | None:
    """The user a signed-in session's id (their `session_token`) belongs to, and their
    unread notifications, in one statement (`banking.web.sessions.load_user` asks).

    Read with the user, whose snapshot is cached and outdated whenever a notification is
    written or read, the count costs no query of its own on the pages.
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
