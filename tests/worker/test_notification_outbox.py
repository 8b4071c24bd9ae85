"""The notification emails' outbox with a real worker, broker and beat: a web process's
"sweep now" has the worker send the pending email, and beat's sweep sends what no kick
announced (the kick was lost while the broker was down)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from banking.core import notifications as catalogue
from banking.core.models import Notification
from banking.extensions import db
from banking.services import notification_outbox, notifications
from tests.support.builders import make_customer
from tests.worker.processes import eventually

pytestmark = pytest.mark.slow


def write_notice(some_app, user_id: int, *, dispatch: bool) -> int:
    """What a service does: the row in the event's transaction, then `dispatch()`."""
    with some_app.app_context():
        row = catalogue.build(user_id, "incoming_transfer", "You received $5.00", "From B*** B***")
        db.session.add(row)
        db.session.commit()
        notification_id = row.id
        if dispatch:
            notifications.dispatch(db.session)
        db.session.remove()
        return notification_id


def still_pending(app, notification_id: int) -> bool:
    with app.app_context():
        pending = db.session.scalar(
            select(Notification.email_pending).where(Notification.id == notification_id)
        )
        db.session.remove()
        return bool(pending)


def test_a_kick_has_the_worker_sweep_and_send_the_pending_email(
    app, start_worker, smtp_sink, producer
):
    sink = smtp_sink()
    worker = start_worker(MAIL_PORT=sink.port)
    alice = make_customer(app, "Alice Able")

    notice = write_notice(producer(MAIL_PORT=sink.port), alice.id, dispatch=True)

    (message,) = eventually(lambda: sink.messages, "the email at the SMTP sink")
    assert message["To"] == alice.email and "$5.00" in message["Subject"]
    worker.wait_for_run(notification_outbox.SWEEP_TASK)
    assert not still_pending(app, notice)


def test_beat_sweeps_what_no_kick_announced(app, start_worker, start_beat, smtp_sink):
    sink = smtp_sink()
    start_worker(MAIL_PORT=sink.port)
    alice = make_customer(app, "Alice Able")
    notice = write_notice(app, alice.id, dispatch=False)  # as if the kick was lost
    assert still_pending(app, notice)

    start_beat()

    (message,) = eventually(lambda: sink.messages, "beat's sweep to send it", seconds=60)
    assert message["To"] == alice.email
    eventually(lambda: not still_pending(app, notice), "the flag cleared")
