"""The notification emails' outbox: pending rows, swept by the worker, each sent once.

A notification that may be emailed is written with `email_pending` true, in the same
transaction (on PostgreSQL, the same statement) as its event, so "the event happened" and
"its email is owed" cannot disagree. The worker's sweep (`sweep`, a task that beat runs
every few seconds and that `notifications.dispatch` kicks after a commit) sends what is
pending, in id order, and clears the flag in the transaction that records the delivery.

Why an outbox rather than one task per notification: publishing a task to Redis from the
request was the largest CPU item left in a transfer confirmation (a payment to another
customer notifies the recipient), and while the broker was down the email went to the
failed-jobs list for an admin to retry by hand. Now the request publishes at most one
"sweep now" per second per process, and an unreachable broker only delays the email to
the next beat.

Each pending row is claimed in its own transaction with FOR UPDATE SKIP LOCKED, so two
sweeps running at once (a kick and the beat, two workers) share the work instead of
waiting for, or repeating, each other; the delivery row (`outgoing_mail.locked_delivery`)
still makes a second send impossible whatever runs it. SQLite has no SKIP LOCKED (nor
concurrent writers): there the claim is a plain read, which is all it needs.

A send that fails:
- the mail server unreachable (a socket or TLS error, refused connection, lost session,
  failed login): the sweep stops, nothing is counted against the emails, and they all
  wait for the next sweep, however long the outage lasts; no admin needed;
- refused for this message (a rejected recipient, a data error): the attempt is counted on
  the delivery row and the sweep moves on; after the task retry budget
  (TASK_MAX_RETRIES + 1 attempts, as a queued email had) the row leaves the outbox and
  goes to the failed-jobs list as `EMAIL_TASK`, which an admin retries like before.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from banking.core import notifications as catalogue
from banking.core.models import Notification, NotificationPreference, User
from banking.core.models.base import utcnow
from banking.extensions import db

log = logging.getLogger(__name__)

EMAIL_TASK = "banking.send_notification_email"  # one notification (eager runs, admin retry)
SWEEP_TASK = "banking.sweep_notification_emails"
BATCH = 200

# The mail server itself is away: no message is at fault (smtplib's errors are OSErrors).
_SERVER_AWAY = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
    smtplib.SMTPAuthenticationError,
    smtplib.SMTPNotSupportedError,
)


def server_away(exc: BaseException) -> bool:
    return isinstance(exc, _SERVER_AWAY) or not isinstance(exc, smtplib.SMTPException)


@dataclass
class SweepReport:
    sent: int = 0
    cleared: int = 0  # considered, nothing to send (choice off, already sent)
    skipped: int = 0  # claimed by another sweep, or no longer pending
    failed: int = 0  # refused for that message: attempt counted, still pending
    gave_up: int = 0  # out of the outbox, into the failed-jobs list
    stopped: str | None = None  # the error type that made the sweep stop early

    def summary(self) -> str:
        return (
            f"sent {self.sent}, cleared {self.cleared}, skipped {self.skipped}, "
            f"failed {self.failed}, gave up {self.gave_up}"
            + (f", stopped ({self.stopped})" if self.stopped else "")
        )


def sweep(*, batch: int = BATCH) -> SweepReport:
    """Send every pending notification email, oldest first, `batch` ids at a time.

    The batch read is a probe of the partial index (pending rows only); each id is then
    claimed (FOR UPDATE SKIP LOCKED), delivered and committed on its own. The next batch
    starts after the last id read, so one run considers each row at most once (a row
    whose send failed waits for the next run instead of spinning this one).
    """
    session = db.session
    report = SweepReport()
    after = 0
    while True:
        ids = list(
            session.scalars(
                select(Notification.id)
                .where(Notification.email_pending, Notification.id > after)
                .order_by(Notification.id)
                .limit(batch)
            )
        )
        session.rollback()  # the read's transaction: each claim below is its own
        for notification_id in ids:
            if not _claim(session, notification_id):
                report.skipped += 1
                continue
            try:
                sent = deliver_email(notification_id)
            except (smtplib.SMTPException, OSError) as exc:
                session.rollback()
                error_type = type(exc).__name__
                if server_away(exc):
                    log.warning(
                        "notification emails wait: mail server unreachable",
                        extra={"error_type": error_type},
                    )
                    report.stopped = error_type
                    return _logged(report)
                if _count_failed_send(session, notification_id, error_type):
                    report.gave_up += 1
                else:
                    report.failed += 1
                continue
            if sent:
                report.sent += 1
            else:
                report.cleared += 1
        if len(ids) < batch:
            return _logged(report)
        after = ids[-1]


def _logged(report: SweepReport) -> SweepReport:
    if report.sent or report.failed or report.gave_up or report.stopped:
        log.info("notification emails swept", extra={"summary": report.summary()})
    return report


def _claim(session: Session, notification_id: int) -> bool:
    """Lock the row if it is still pending and no other sweep holds it (PostgreSQL)."""
    claimed = session.scalar(
        select(Notification.id)
        .where(Notification.id == notification_id, Notification.email_pending)
        .with_for_update(skip_locked=True)
    )
    if claimed is None:
        session.rollback()
        return False
    return True


def _count_failed_send(session: Session, notification_id: int, error_type: str) -> bool:
    """One more failed attempt for this message; True when it leaves the outbox for the
    failed-jobs list (the retry budget a queued email task had)."""
    # Imported here: both lead back to `notifications`, which imports this module.
    from banking.services import failed_jobs, outgoing_mail

    notification = session.scalar(
        select(Notification).where(Notification.id == notification_id).with_for_update()
    )
    if notification is None or not notification.email_pending:
        session.rollback()
        return False
    delivery = outgoing_mail.locked_delivery(
        session, _key(notification_id), _delivery_kind(notification.kind), notification.user_id
    )
    delivery.attempts += 1
    attempts = delivery.attempts
    session.commit()
    log.warning(
        "notification email refused",
        extra={"notification_id": notification_id, "error_type": error_type,
               "attempts": attempts},
    )  # fmt: skip
    if attempts <= int(current_app.config.get("TASK_MAX_RETRIES", 8)):
        return False
    # Recorded first (its own transaction): if we stop between the two, the row is still
    # pending and a later send finds the job's retry already done, not a lost email.
    failed_jobs.record_failure(
        task_id=f"notification-email-{notification_id}",
        task_name=EMAIL_TASK,
        args=[notification_id],
        kwargs={},
        error_type=error_type,
        attempts=attempts,
    )
    _clear(session, notification_id)
    session.commit()
    return True


def _clear(session: Session, notification_id: int) -> None:
    """Out of the outbox. A Core UPDATE, not the ORM: a changed Notification object would
    outdate the user's cached pages as if their unread count had changed."""
    session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.email_pending)
        .values(email_pending=False)
        .execution_options(synchronize_session=False)
    )


def _key(notification_id: int) -> str:
    return f"notification:{notification_id}"


def _delivery_kind(kind: str) -> str:
    return f"n:{kind}"[:40]


def deliver_email(notification_id: int, *, key: str | None = None) -> bool:
    """Email one notification, once, if its kind and the user allow it; out of the outbox.

    True when this call sent it. Idempotent per notification (a retried or duplicated
    task, or a second sweep, finds the delivery row sent). The flag is cleared in the
    transaction that records the delivery, and also when there is nothing to send (the
    user turned the kind off: decided when the sweep runs, as it was when the task ran).
    A failed send raises with nothing committed: the row stays pending.
    """
    from banking.public_urls import public_url
    from banking.services import outgoing_mail
    from banking.services.email import send_email

    session = db.session
    notification = session.get(Notification, notification_id)
    if notification is None:
        session.rollback()
        return False
    sent = False
    preference = session.scalar(
        select(NotificationPreference.email).where(
            NotificationPreference.user_id == notification.user_id,
            NotificationPreference.kind == notification.kind,
        )
    )
    user = session.get(User, notification.user_id)
    if catalogue.wants_email(notification.kind, preference) and user is not None:
        delivery = outgoing_mail.locked_delivery(
            session,
            key or _key(notification_id),
            _delivery_kind(notification.kind),
            user.id,
        )
        if delivery.sent_at is None:
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
                f"See it in your {bank} inbox: {public_url('notifications.inbox')}\n\n"
                f"{settings}\n",
            )
            delivery.sent_at = utcnow()
            sent = True
    kind, user_id = notification.kind, notification.user_id
    _clear(session, notification_id)
    session.commit()
    if sent:
        log.info("notification emailed", extra={"notification_kind": kind, "user_id": user_id})
    return sent
