"""Emails go out from a real worker: delivered, sent once after a crash, off the request
path while SMTP hangs, and kept in the failed-jobs list when they cannot be sent."""

from __future__ import annotations

import os
import signal

import pytest

from banking.core.models import User
from banking.extensions import db
from banking.services import outgoing_mail
from tests.support.builders import make_customer
from tests.support.forms import submit
from tests.support.jobs import failed_jobs
from tests.worker.processes import eventually
from tests.worker.records import sent_deliveries
from tests.worker.smtp import free_port

pytestmark = pytest.mark.slow

SEND_USER_EMAIL = "banking.send_user_email"
SEND_RESET = "banking.send_reset_for_address"
PUBLIC = "https://bank.example.com"


def queue_password_changed(producer_app, user_id: int) -> None:
    """What the password-change service does once its change committed."""
    with producer_app.app_context():
        user = db.session.get(User, user_id)
        outgoing_mail.queue_user_email(outgoing_mail.PASSWORD_CHANGED, user)
        db.session.remove()


def forgot(web, address: str):
    """The "forgot password" form over HTTPS, as a browser on the public address sends it."""
    url = f"{PUBLIC}/auth/forgot"
    return submit(web, url, {"email": address}, headers={"Referer": url})


def queue_is_drained(broker) -> bool:
    """Nothing waiting in the queue and nothing delivered but unacknowledged."""
    return broker.llen("banking") == 0 and broker.hlen("unacked") == 0


def test_an_email_task_is_delivered_by_the_worker(app, start_worker, smtp_sink, producer):
    sink = smtp_sink()
    worker = start_worker(MAIL_PORT=sink.port)
    alice = make_customer(app, "Alice Able")

    queue_password_changed(producer(MAIL_PORT=sink.port), alice.id)

    (message,) = eventually(lambda: sink.messages, "the email at the SMTP sink")
    assert message["To"] == alice.email
    assert "password was changed" in message["Subject"]
    worker.wait_for_run(SEND_USER_EMAIL)
    (delivery,) = sent_deliveries(app)
    assert (delivery.kind, delivery.user_id) == (outgoing_mail.PASSWORD_CHANGED, alice.id)


def test_a_task_killed_mid_send_runs_again_and_sends_once(
    app, broker, start_worker, smtp_sink, producer
):
    """acks_late + reject_on_worker_lost: the killed run's message goes back to the queue,
    the next pool process runs it, and the delivery row (rolled back with the killed
    process's transaction) lets exactly one email through."""
    sink = smtp_sink(stall_first=True)
    worker = start_worker(MAIL_PORT=sink.port, MAIL_TIMEOUT=60)
    alice = make_customer(app, "Alice Able")

    queue_password_changed(producer(MAIL_PORT=sink.port), alice.id)
    eventually(sink.stalled.is_set, "the worker to be in the middle of sending")
    (pool_process,) = worker.children()
    os.kill(pool_process, signal.SIGKILL)
    sink.release()  # the killed send is answered "try later": it never counts

    (message,) = eventually(lambda: sink.messages, "the email, sent by the rerun")
    assert message["To"] == alice.email
    worker.wait_for_run(SEND_USER_EMAIL)
    eventually(lambda: queue_is_drained(broker), "the task to be acknowledged")
    assert worker.children() and pool_process not in worker.children()
    assert len(sink.messages) == 1
    (delivery,) = sent_deliveries(app)
    assert delivery.user_id == alice.id and delivery.attempts == 1
    assert "WorkerLostError" in worker.log()


def test_forgot_password_answers_while_smtp_hangs_and_the_mail_arrives_later(
    app, broker, start_worker, hanging_smtp, smtp_sink, producer
):
    """Proved by order: each answer arrives while no mail server has answered anything
    (so nothing can have been sent, and the task is not done); then SMTP comes back on
    the same port and the task's retry delivers the mail."""
    port = hanging_smtp.port
    worker = start_worker(MAIL_PORT=port, MAIL_TIMEOUT=2, TASK_MAX_RETRIES=50)
    alice = make_customer(app, "Alice Able")
    # The web app points at the hanging server too, with a timeout longer than any test
    # deadline: had the request itself talked to SMTP, it could not have answered.
    web = producer(MAIL_PORT=port, MAIL_TIMEOUT=3600).test_client()

    answer = forgot(web, alice.email)
    assert answer.status_code == 302 and answer.location.endswith("/auth/login")
    assert sent_deliveries(app) == []

    # The worker is now stuck talking to the hanging server: a request answers all the same.
    eventually(lambda: hanging_smtp.accepted, "the worker to connect to the hanging server")
    answer = forgot(web, "nobody@example.com")
    assert answer.status_code == 302 and answer.location.endswith("/auth/login")
    assert sent_deliveries(app) == []

    hanging_smtp.close()
    sink = smtp_sink(port)  # the mail server is back, on the same address

    (message,) = eventually(lambda: sink.messages, "the reset email after SMTP came back")
    assert message["To"] == alice.email
    assert "/auth/reset/" in message.get_payload(decode=True).decode()
    worker.wait_for_run(SEND_RESET, "retried")
    worker.wait_for_run(SEND_RESET, "succeeded", count=2)  # the known and unknown address
    eventually(lambda: queue_is_drained(broker), "every task to be acknowledged")
    assert len(sink.messages) == 1  # nothing for the address without an account
    assert [d.user_id for d in sent_deliveries(app)] == [alice.id]


def test_a_task_that_keeps_failing_ends_in_the_failed_jobs_list(
    app, broker, start_worker, producer
):
    nowhere = free_port()  # nothing listens: every attempt is refused
    worker = start_worker(MAIL_PORT=nowhere, TASK_MAX_RETRIES=2)
    alice = make_customer(app, "Alice Able")

    queue_password_changed(producer(MAIL_PORT=nowhere), alice.id)

    (job,) = eventually(lambda: failed_jobs(app), "the task in the failed-jobs list")
    assert job.task_name == SEND_USER_EMAIL
    assert job.args == [outgoing_mail.PASSWORD_CHANGED, alice.id]
    assert job.error_type == "ConnectionRefusedError"
    assert job.attempts == 3  # the first run and TASK_MAX_RETRIES retries
    assert job.status == "open"
    worker.wait_for_run(SEND_USER_EMAIL, "failed")
    assert worker.task_runs()[(SEND_USER_EMAIL, "retried")] == 2
    eventually(lambda: queue_is_drained(broker), "the failed task to be acknowledged")
    assert sent_deliveries(app) == []
    assert alice.email not in worker.log()  # the address never reaches the logs
