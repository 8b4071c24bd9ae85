"""Every email the product sends, queued for the worker and delivered once.

Requests never talk to SMTP: a view (or service) calls `queue_user_email` after its
change has committed, which hands a task to the worker (or, without a broker, runs it
now). The worker builds the email when it sends it — a reset link is made at that
moment, from PUBLIC_BASE_URL — and records the delivery under the task's id, so a task
run twice (a worker killed before acknowledging it) sends once.

"Forgot password" queues `queue_reset_for_address` whatever the address: the request does
exactly the same work for an address with an account and one without, and only the
worker, off the request path, finds out which it is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from banking.background import enqueue
from banking.core import audit as core_audit
from banking.core.models import EmailDelivery, User
from banking.core.models.base import utcnow
from banking.extensions import db
from banking.services import auth_events, reset, verification
from banking.services.auth import find_user_by_email

log = logging.getLogger(__name__)

PASSWORD_RESET = "password_reset"  # noqa: S105 - an email kind, not a secret
EMAIL_VERIFICATION = "email_verification"
SIGNUP_EXISTING_EMAIL = "signup_existing_email"
PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an email kind

SENDERS: dict[str, Callable[[User], None]] = {
    PASSWORD_RESET: reset.send_reset_email,
    EMAIL_VERIFICATION: verification.send_verification_email,
    SIGNUP_EXISTING_EMAIL: verification.send_account_exists_email,
    PASSWORD_CHANGED: reset.send_password_changed_email,
}


def queue_user_email(kind: str, user: User) -> None:
    """Have the worker send `kind` to `user` (call after the change it reports committed)."""
    if kind not in SENDERS:
        raise ValueError(f"unknown email kind {kind!r}")
    enqueue("banking.send_user_email", kind, user.id)


def queue_reset_for_address(address: str) -> None:
    """The same single enqueue for every address: the worker looks the account up.

    Where the request came from travels with the task, for the audit row the worker writes.
    """
    origin = core_audit.current_origin() or core_audit.Origin()
    enqueue(
        "banking.send_reset_for_address",
        address,
        origin={"ip": origin.ip, "user_agent": origin.user_agent, "request_id": origin.request_id},
    )


def deliver(kind: str, user_id: int, *, key: str) -> bool:
    """Send `kind` to the user once per `key`; True when this call sent it.

    The delivery row is locked while the email goes out, so a second run of the same
    task waits and then finds it sent. A crash between the SMTP server accepting the
    message and the commit sends it again on the retry: at least once, never silently
    lost (SMTP offers nothing stronger).
    """
    session = db.session
    delivery = locked_delivery(session, key, kind, user_id)
    if delivery.sent_at is not None:
        session.rollback()
        return False
    user = session.get(User, user_id)
    if user is None:  # deleted since: nothing to send, nothing to retry
        delivery.sent_at = utcnow()
        session.commit()
        return False
    delivery.attempts += 1
    SENDERS[kind](user)  # raises on an SMTP failure: the task retries, the row stays unsent
    delivery.sent_at = utcnow()
    session.commit()
    log.info("email delivered", extra={"email_kind": kind, "user_id": user_id})
    return True


def deliver_reset_for_address(address: str, *, key: str, origin: dict | None = None) -> bool:
    """Send a reset link if an account (not locked by an admin) uses `address`; audit it."""
    user = find_user_by_email(db.session, address)
    if user is None or user.is_locked:
        db.session.rollback()
        return False
    user_id = user.id
    with core_audit.origin_scope(core_audit.Origin(**(origin or {}))):
        sent = deliver(PASSWORD_RESET, user_id, key=key)
        if sent:
            auth_events.record_own(
                auth_events.PASSWORD_RESET_REQUEST,
                user_id,
                success=True,
                details={"email_sent": True},
            )
            db.session.commit()
    return sent


def locked_delivery(session, key: str, kind: str, user_id: int) -> EmailDelivery:
    """The delivery row for `key`, locked (created first if new): one email per key."""
    query = select(EmailDelivery).where(EmailDelivery.key == key).with_for_update()
    delivery = session.scalar(query)
    if delivery is not None:
        return delivery
    try:
        with session.begin_nested():
            session.add(EmailDelivery(key=key, kind=kind, user_id=user_id))
    except IntegrityError:  # a concurrent run inserted it first: wait for its lock
        pass
    return session.scalar(query)
