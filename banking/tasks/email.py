"""Email tasks: built and sent by the worker, once per task (see services.outgoing_mail)."""

from __future__ import annotations

from celery import Celery

from banking.services import notifications, outgoing_mail


def register(celery: Celery) -> None:
    @celery.task(name="banking.send_user_email", bind=True, shared=False)
    def send_user_email(self, kind: str, user_id: int) -> bool:
        return outgoing_mail.deliver(kind, user_id, key=f"{kind}:{self.request.id}")

    @celery.task(name="banking.send_reset_for_address", bind=True, shared=False)
    def send_reset_for_address(self, address: str, origin: dict | None = None) -> bool:
        return outgoing_mail.deliver_reset_for_address(
            address, key=f"password_reset:{self.request.id}", origin=origin
        )

    @celery.task(name=notifications.EMAIL_TASK, shared=False)
    def send_notification_email(notification_id: int) -> bool:
        # Keyed by the notification, not the task: however often it is queued, one email.
        return notifications.deliver_email(notification_id)
