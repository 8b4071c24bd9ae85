"""Email tasks: built and sent by the worker, once per task (see services.outgoing_mail)."""

from __future__ import annotations

from celery import Celery

from banking.services import notification_outbox, outgoing_mail


def register(celery: Celery) -> None:
    @celery.task(name="banking.send_user_email", bind=True, shared=False)
    def send_user_email(self, kind: str, user_id: int) -> bool:
        return outgoing_mail.deliver(kind, user_id, key=f"{kind}:{self.request.id}")

    @celery.task(name="banking.send_reset_for_address", bind=True, shared=False)
    def send_reset_for_address(self, address: str, origin: dict | None = None) -> bool:
        return outgoing_mail.deliver_reset_for_address(
            address, key=f"password_reset:{self.request.id}", origin=origin
        )

    @celery.task(name=notification_outbox.EMAIL_TASK, shared=False)
    def send_notification_email(notification_id: int) -> bool:
        # One notification now: run eagerly (development, tests) and by an admin's retry
        # from the failed-jobs list. Keyed by the notification, not the task: one email.
        return notification_outbox.deliver_email(notification_id)

    # Expires: a sweep that waited in the queue longer than beat's interval (the worker
    # was down, or busy) is dropped, not run; the next one does the same work. So the
    # kicks published while no worker ran do not become a pile of empty sweeps.
    @celery.task(name=notification_outbox.SWEEP_TASK, shared=False, expires=10.0)
    def sweep_notification_emails() -> str:
        # The outbox: beat's every few seconds, and a web process's "sweep now". Safe to
        # run several at once (each row is claimed with SKIP LOCKED).
        return notification_outbox.sweep().summary()
