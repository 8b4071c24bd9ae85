"""The notification emails' outbox: pending rows, swept by the worker, each sent once.

"With a broker" below means what production does: `dispatch()` only publishes a
throttled "sweep now" (recorded here, not sent), and the test runs the sweep itself, as
the worker would. Without one (the tests' default) the email goes out right away.
"""

from __future__ import annotations

import smtplib
import threading
import time
from types import SimpleNamespace
from unittest.mock import patch

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, select, text

from banking.app import create_app
from banking.core import notifications as catalogue
from banking.core.models import EmailDelivery, FailedJob, Notification, NotificationPreference
from banking.extensions import db
from banking.services import email as email_service
from banking.services import notification_outbox as outbox
from banking.services import notifications as notify_service
from banking.tasks import BEAT_SCHEDULE
from config import TestingConfig
from tests.support.builders import make_customer
from tests.support.sessions import change_own_password, login_as
from tests.support.statements import counting_queries
from tests.support.transfers import pay, start_transfer
from tests.web.accounts.test_query_counts import TRANSFER_QUERIES

TRANSFER_QUERIES_POSTGRESQL = TRANSFER_QUERIES["postgresql"]  # the same confirmation as there


@pytest.fixture
def published(app, monkeypatch) -> list[tuple]:
    """A broker: dispatch publishes (recorded, not sent) instead of running tasks now."""
    calls: list[tuple] = []
    monkeypatch.setattr(notify_service, "eager", lambda *_: False)
    monkeypatch.setattr(notify_service, "enqueue", lambda name, *args: calls.append((name, *args)))
    app.extensions.pop(notify_service._KICKS, None)  # the session's app: a fresh throttle
    yield calls
    app.extensions.pop(notify_service._KICKS, None)


def rows(app, user_id: int | None = None) -> list[Notification]:
    with app.app_context():
        query = select(Notification).order_by(Notification.id)
        if user_id is not None:
            query = query.where(Notification.user_id == user_id)
        found = list(db.session.scalars(query))
        db.session.expunge_all()
        return found


def pending(app) -> list[int]:
    return [n.id for n in rows(app) if n.email_pending]


def sweep(app, **kwargs) -> outbox.SweepReport:
    with app.app_context():
        try:
            return outbox.sweep(**kwargs)
        finally:
            db.session.remove()


def notify(app, user_id: int, n: int = 1, kind: str = "incoming_transfer") -> list[int]:
    with app.app_context():
        made = [catalogue.build(user_id, kind, f"Notice {i}", "Body") for i in range(n)]
        db.session.add_all(made)
        db.session.commit()
        ids = [r.id for r in made]
        db.session.info.pop("banking.notifications.committed", None)  # no dispatch here
        db.session.remove()
        return ids


def mails_to(address: str) -> list:
    return [m for m in email_service.outbox if m.to == address]


# Through the HTTP layer -----------------------------------------------------------------
def test_a_payment_to_another_customer_leaves_one_pending_email_a_sweep_sends_once(
    app, client, published
):
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    login_as(client, app, alice.id)

    assert pay(client, alice.account_id, bob.account_number, "12.34").transaction_id

    (notice,) = rows(app, bob.id)
    assert notice.email_pending and mails_to(bob.email) == []
    assert published == [(outbox.SWEEP_TASK,)]  # a kick, not a task per notification
    assert sweep(app).sent == 1
    (mail,) = mails_to(bob.email)
    assert "$12.34" in mail.subject
    assert pending(app) == []
    assert sweep(app).sent == 0  # run again: nothing twice
    assert len(mails_to(bob.email)) == 1


def test_the_confirmation_costs_the_same_statements_and_one_kick_with_a_broker(
    app, client, published, requires_postgres
):
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    login_as(client, app, alice.id)
    data = {"from_account": alice.account_id, "account_number": bob.account_number}
    attempt = start_transfer(client, "pay", {**data, "amount": "1.00", "memo": "count"})
    with counting_queries(app) as statements:
        assert client.post("/transfers/confirm", data=attempt.confirm_fields).status_code == 302
    assert len(statements) == TRANSFER_QUERIES_POSTGRESQL
    assert published == [(outbox.SWEEP_TASK,)]


def test_without_a_broker_the_email_goes_out_right_away_and_leaves_the_outbox(app, client):
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    login_as(client, app, alice.id)
    assert pay(client, alice.account_id, bob.account_number, "2.00").transaction_id
    assert len(mails_to(bob.email)) == 1
    assert pending(app) == []
    assert sweep(app).sent == 0


def test_a_broker_down_for_the_kick_fails_nothing_and_the_next_sweep_sends(
    app, client, published, monkeypatch, caplog
):
    from kombu.exceptions import OperationalError

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(notify_service, "enqueue", broker_down)
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    login_as(client, app, alice.id)

    assert pay(client, alice.account_id, bob.account_number, "3.00").transaction_id
    (warning,) = [r for r in caplog.records if "next sweep" in r.getMessage()]
    assert warning.error_type == "OperationalError" and warning.exc_info is None
    assert [n.email_pending for n in rows(app, bob.id)] == [True]
    assert sweep(app).sent == 1
    assert len(mails_to(bob.email)) == 1


# The kick --------------------------------------------------------------------------------
def test_a_burst_of_dispatches_publishes_one_kick_per_interval(app, published, monkeypatch):
    bob = make_customer(app, "Bob Baker")
    clock = [1000.0]
    monkeypatch.setattr(notify_service, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    with app.app_context():
        for _ in range(25):
            db.session.add(catalogue.build(bob.id, "incoming_transfer", "T", "B"))
            db.session.commit()
            notify_service.dispatch(db.session)
            clock[0] += 0.01
        assert published == [(outbox.SWEEP_TASK,)]
        clock[0] += notify_service.KICK_INTERVAL
        db.session.add(catalogue.build(bob.id, "incoming_transfer", "T", "B"))
        db.session.commit()
        notify_service.dispatch(db.session)
        db.session.remove()
    assert published == [(outbox.SWEEP_TASK,)] * 2


def test_the_throttle_lets_one_of_many_threads_through():
    throttle = notify_service.KickThrottle(interval=60)
    passed = []
    threads = [threading.Thread(target=lambda: passed.append(throttle.due(5.0))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert passed.count(True) == 1


def test_beat_sweeps_every_few_seconds():
    entry = BEAT_SCHEDULE["sweep-notification-emails"]
    assert entry["task"] == outbox.SWEEP_TASK and entry["schedule"] <= 10


# What is pending ---------------------------------------------------------------------------
def test_own_email_kinds_are_never_pending_every_other_kind_is():
    for kind, info in catalogue.CATALOGUE.items():
        assert catalogue.build(1, kind, "T", "B").email_pending is (not info.own_email), kind


def test_a_password_change_has_its_own_email_and_nothing_pending(app, client):
    alice = make_customer(app, "Alice Able")
    login_as(client, app, alice.id)
    assert change_own_password(client, alice.password, "another long passphrase 7").status_code
    (notice,) = rows(app, alice.id)
    assert notice.kind == "password_changed" and not notice.email_pending


def test_rows_from_before_the_outbox_are_not_pending_and_the_migration_reverses(tmp_path):
    config = TestingConfig()
    config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'outbox.db'}"
    config.SQLALCHEMY_ENGINE_OPTIONS = {}
    scratch = create_app(config)
    with scratch.app_context():
        upgrade(revision="0013_notifications")
    user = make_customer(scratch, "Old Timer")
    engine = create_engine(config.SQLALCHEMY_DATABASE_URI)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO notifications (user_id, kind, title, body, created_at) "
                "VALUES (:u, 'incoming_transfer', 'Old', 'Old', CURRENT_TIMESTAMP)"
            ),
            {"u": user.id},
        )
    with scratch.app_context():
        upgrade()
    assert [n.email_pending for n in rows(scratch)] == [False]
    assert sweep(scratch).sent == 0 and mails_to(user.email) == []
    indexes = {i["name"] for i in inspect(engine).get_indexes("notifications")}
    assert "ix_notifications_email_pending" in indexes
    with scratch.app_context():
        downgrade(revision="0013_notifications")
    columns = {c["name"] for c in inspect(engine).get_columns("notifications")}
    assert "email_pending" not in columns and "title" in columns
    with scratch.app_context():
        upgrade()
    engine.dispose()


# The sweep ------------------------------------------------------------------------------
def test_the_sweep_sends_each_pending_email_once_in_full_batches(app):
    bob = make_customer(app, "Bob Baker")
    notify(app, bob.id, 5)
    assert len(pending(app)) == 5
    report = sweep(app, batch=2)  # 2 + 2 + 1: it loops while the batches are full
    assert (report.sent, pending(app)) == (5, [])
    assert sweep(app, batch=2).sent == 0
    assert len(mails_to(bob.email)) == 5
    with app.app_context():
        deliveries = db.session.scalars(select(EmailDelivery)).all()
        assert len(deliveries) == 5 and all(d.sent_at and d.attempts == 1 for d in deliveries)


def test_an_email_turned_off_is_cleared_not_sent(app):
    bob = make_customer(app, "Bob Baker")
    with app.app_context():
        db.session.add(
            NotificationPreference(user_id=bob.id, kind="incoming_transfer", email=False)
        )
        db.session.commit()
    notify(app, bob.id)
    notify(app, bob.id, kind="new_device_sign_in")  # a security notice: always
    report = sweep(app)
    assert (report.sent, report.cleared) == (1, 1)
    assert pending(app) == []
    (mail,) = mails_to(bob.email)
    assert "Notice 0" in mail.subject


def test_a_mail_server_that_is_away_stops_the_sweep_and_everything_stays_pending(app):
    bob = make_customer(app, "Bob Baker")
    ids = notify(app, bob.id, 3)
    with patch.object(
        email_service, "send_email", side_effect=ConnectionRefusedError(111, "refused")
    ) as send:
        report = sweep(app)
    assert report.stopped == "ConnectionRefusedError" and send.call_count == 1
    assert pending(app) == ids
    with app.app_context():
        assert db.session.scalars(select(FailedJob)).all() == []
        assert db.session.scalars(select(EmailDelivery)).all() == []  # nothing counted
    assert sweep(app).sent == 3  # back: the next sweep sends them all
    assert pending(app) == []


def test_a_refused_message_is_retried_by_later_sweeps_then_kept_for_the_admin(app):
    app.config["TASK_MAX_RETRIES"] = 2
    bob = make_customer(app, "Bob Baker")
    carol = make_customer(app, "Carol Cole")
    (refused,) = notify(app, bob.id)
    notify(app, carol.id)
    real_send = email_service.send_email

    def refuse_bob(to, subject, body):
        if to == bob.email:
            raise smtplib.SMTPRecipientsRefused({to: (550, b"no such user")})
        real_send(to, subject, body)

    with patch.object(email_service, "send_email", side_effect=refuse_bob):
        first = sweep(app)
        assert (first.sent, first.failed) == (1, 1)  # the next one was not held up
        assert pending(app) == [refused]
        assert sweep(app).failed == 1
        assert pending(app) == [refused]
        assert sweep(app).gave_up == 1  # the third attempt: TASK_MAX_RETRIES + 1
    assert pending(app) == [] and mails_to(bob.email) == []
    with app.app_context():
        (job,) = db.session.scalars(select(FailedJob)).all()
        assert (job.task_name, job.args) == (outbox.EMAIL_TASK, [refused])
        assert (job.error_type, job.attempts) == ("SMTPRecipientsRefused", 3)
        db.session.remove()
    # The admin's retry runs the one-notification task: it sends, once.
    with app.app_context():
        assert outbox.deliver_email(refused) is True
        assert outbox.deliver_email(refused) is False
        db.session.remove()
    assert len(mails_to(bob.email)) == 1


# PostgreSQL: sweeps at the same time -----------------------------------------------------
def test_a_row_another_sweep_holds_is_skipped_not_waited_for(app, requires_postgres):
    bob = make_customer(app, "Bob Baker")
    held, _free = notify(app, bob.id, 2)
    with app.app_context():
        engine = db.engine
    with engine.connect() as other:
        other.execute(text("SET lock_timeout = '5s'"))
        other.execute(text("SELECT id FROM notifications WHERE id = :id FOR UPDATE"), {"id": held})
        started = time.monotonic()
        report = sweep(app)
        assert time.monotonic() - started < 3  # SKIP LOCKED: no wait for the holder
        assert (report.sent, report.skipped) == (1, 1)
        other.rollback()
    assert pending(app) == [held]
    assert sweep(app).sent == 1
    assert pending(app) == [] and len(mails_to(bob.email)) == 2


def test_two_sweeps_at_once_send_every_email_exactly_once(app, requires_postgres):
    bob = make_customer(app, "Bob Baker")
    ids = notify(app, bob.id, 30)
    real_send = email_service.send_email

    def slow_send(*args):
        time.sleep(0.005)  # long enough for the two sweeps to overlap
        real_send(*args)

    reports: list[outbox.SweepReport] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        reports.append(sweep(app, batch=8))

    with patch.object(email_service, "send_email", side_effect=slow_send):
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sum(r.sent for r in reports) == len(ids)
    assert len(mails_to(bob.email)) == len(ids)
    assert len({m.subject for m in mails_to(bob.email)}) == len(ids)
    assert pending(app) == []


def test_a_sweep_that_waited_past_beats_interval_is_dropped(app):
    task = app.extensions["celery"].tasks[outbox.SWEEP_TASK]
    assert task.expires == BEAT_SCHEDULE["sweep-notification-emails"]["schedule"]
