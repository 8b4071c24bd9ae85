"""Notifications (issue 17, item 4), through the HTTP layer: each event writes exactly one
notification for the right user, the email follows the user's choice (security notices
always), carries no full account number and links under PUBLIC_BASE_URL, and the inbox
and its header badge are the user's own and never stale.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from banking.core import ledger
from banking.core.models import Hold, Notification, NotificationPreference, ScheduledTransfer
from banking.extensions import db
from banking.services import email as email_service
from banking.services import operations
from banking.services.actor import Actor
from tests.support.admin import confirm_action
from tests.support.builders import PASSWORD, login, make_admin, make_customer
from tests.support.cache_states import CACHE_STATES, point_cache_at
from tests.support.forms import csrf_from, submit
from tests.support.ledger import send
from tests.support.sessions import change_own_password, login_as
from tests.support.transfers import own_transfer, pay
from tests.support.two_factor import enroll

BADGE = re.compile(r'data-testid="unread-count"[^>]*>(\d+)<')
PUBLIC = "https://bank.example.test"


@pytest.fixture(autouse=True)
def public_base(app):
    app.config["PUBLIC_BASE_URL"] = PUBLIC


def notices(app, user_id: int) -> list[Notification]:
    with app.app_context():
        rows = db.session.scalars(
            select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
        ).all()
        db.session.expunge_all()
        return list(rows)


def kinds(app, user_id: int) -> list[str]:
    return [n.kind for n in notices(app, user_id)]


def mails_to(address: str) -> list:
    return [m for m in email_service.outbox if m.to == address]


def badge(client) -> int:
    found = BADGE.search(client.get("/").get_data(as_text=True))
    return int(found.group(1)) if found else 0


# Incoming transfers ------------------------------------------------------------------------
def test_a_payment_from_another_customer_notifies_the_recipient_only(app, client):
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    login_as(client, app, alice.id)

    assert pay(client, alice.account_id, bob.account_number, "12.34").transaction_id

    (notice,) = notices(app, bob.id)
    assert notice.kind == "incoming_transfer" and notice.read_at is None
    assert notice.title == "You received $12.34"
    assert "A*** A***" in notice.body and "Alice" not in notice.body
    assert bob.account_number not in notice.body and bob.account_number[-4:] in notice.body
    assert notice.link == f"/accounts/{bob.account_id}/history"
    assert notices(app, alice.id) == []  # never the sender
    (mail,) = mails_to(bob.email)
    assert "$12.34" in mail.subject
    assert bob.account_number not in mail.body and alice.account_number not in mail.body
    assert f"{PUBLIC}/notifications" in mail.body
    assert "localhost" not in mail.body  # built from the configured base, not the request
    assert mails_to(alice.email) == []


def test_a_broker_that_is_down_never_fails_the_payment_the_email_waits_for_the_sweep(
    app, client, monkeypatch
):
    """The email is handed over after the money moved: an unreachable broker must not turn
    a sent payment into an error page (it did: a 500 after the commit). The notice is in
    the inbox and its email stays in the outbox (pending), where the worker's next sweep
    sends it: no failed job, nothing for an admin to retry (it used to be one)."""
    from kombu.exceptions import OperationalError

    from banking.core.models import FailedJob
    from banking.services import notification_outbox
    from banking.services import notifications as notify_service

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(notify_service, "eager", lambda *_: False)  # as with a broker
    monkeypatch.setattr(notify_service, "enqueue", broker_down)
    app.extensions.pop(notify_service._KICKS, None)  # this test's kick is not throttled
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    login_as(client, app, alice.id)

    result = pay(client, alice.account_id, bob.account_number, "12.34")

    assert result.transaction_id  # the confirmation page, not an error
    (notice,) = notices(app, bob.id)
    assert notice.email_pending and mails_to(bob.email) == []
    with app.app_context():
        assert db.session.scalars(select(FailedJob)).all() == []
        assert notification_outbox.sweep().sent == 1  # the worker's next sweep
        db.session.remove()
    (mail,) = mails_to(bob.email)
    assert "$12.34" in mail.subject
    assert not notices(app, bob.id)[0].email_pending


def test_moving_money_between_ones_own_accounts_notifies_nobody(app, client):
    from tests.support.builders import add_account

    alice = make_customer(app, "Alice Able", balance="100.00")
    savings = add_account(app, alice.id, kind="savings")
    login_as(client, app, alice.id)

    assert own_transfer(client, alice.account_id, savings, "5.00").transaction_id
    assert notices(app, alice.id) == []
    assert email_service.outbox == []


def test_a_held_transfer_tells_the_recipient_nothing_until_it_is_approved(app, client):
    alice = make_customer(app, "Alice Able", balance="500.00")
    bob = make_customer(app, "Bob Baker")
    app.config["REVIEW_THRESHOLD_CENTS"] = 10_000
    login_as(client, app, alice.id)
    held = pay(client, alice.account_id, bob.account_number, "300.00")
    assert held.transaction_id
    assert notices(app, bob.id) == [] and notices(app, alice.id) == []

    admin = make_admin(app)
    login_as(client, app, admin.id)
    confirm_action(client, f"/admin/reviews/{held.transaction_id}/approve", {"reason": "ok"})

    assert kinds(app, alice.id) == ["transfer_approved"]
    assert kinds(app, bob.id) == ["incoming_transfer"]
    assert notices(app, admin.id) == []  # never the deciding admin
    assert len(mails_to(alice.email)) == len(mails_to(bob.email)) == 1


def test_a_declined_held_transfer_tells_the_sender_why_and_the_recipient_nothing(app, client):
    alice = make_customer(app, "Alice Able", balance="500.00")
    bob = make_customer(app, "Bob Baker")
    txn = send(
        app,
        alice.account_id,
        bob.account_id,
        30_000,
        initiator_id=alice.id,
        owner_id=alice.id,
        limits=ledger.Limits(review_threshold=10_000),
    )
    admin = make_admin(app)
    login_as(client, app, admin.id)
    confirm_action(client, f"/admin/reviews/{txn.transaction_id}/reject", {"reason": "no"})

    (notice,) = notices(app, alice.id)
    assert notice.kind == "transfer_declined" and "$300.00" in notice.title
    assert notices(app, bob.id) == [] and notices(app, admin.id) == []


def test_an_expired_hold_is_a_declined_transfer_for_its_sender(app):
    from datetime import UTC, datetime, timedelta

    alice = make_customer(app, "Alice Able", balance="500.00")
    bob = make_customer(app, "Bob Baker")
    send(
        app,
        alice.account_id,
        bob.account_id,
        30_000,
        initiator_id=alice.id,
        owner_id=alice.id,
        limits=ledger.Limits(review_threshold=10_000, hold_days=0),
    )
    with app.app_context():
        db.session.execute(
            Hold.__table__.update().values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
        db.session.commit()
        assert operations.expire_holds(actor=Actor.worker()) == 1
    (notice,) = notices(app, alice.id)
    assert notice.kind == "transfer_declined" and "not reviewed in time" in notice.body


# Scheduled transfers --------------------------------------------------------------------
def test_a_failed_scheduled_transfer_notifies_its_owner(app):
    alice = make_customer(app, "Alice Able", balance="1.00")
    bob = make_customer(app, "Bob Baker")
    with app.app_context():
        db.session.add(
            ScheduledTransfer(
                owner_id=alice.id,
                from_account_id=alice.account_id,
                to_account_id=bob.account_id,
                amount=50_000,
                memo="Rent",
                frequency="once",
                next_run_on=date.today(),
            )
        )
        db.session.commit()
        report = operations.run_due_transfers(actor=Actor.worker())
    assert len(report.failed) == 1
    (notice,) = notices(app, alice.id)
    assert notice.kind == "schedule_failed" and "$500.00" in notice.title
    assert notice.link == "/schedules"
    assert notices(app, bob.id) == []
    (mail,) = mails_to(alice.email)
    assert f"{PUBLIC}/notifications" in mail.body


def test_a_scheduled_payment_to_another_customer_notifies_the_recipient(app):
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    with app.app_context():
        db.session.add(
            ScheduledTransfer(
                owner_id=alice.id,
                from_account_id=alice.account_id,
                to_account_id=bob.account_id,
                amount=1_000,
                memo="Pocket money",
                frequency="once",
                next_run_on=date.today(),
            )
        )
        db.session.commit()
        assert len(operations.run_due_transfers(actor=Actor.worker()).posted) == 1
    assert kinds(app, bob.id) == ["incoming_transfer"]
    assert notices(app, alice.id) == []


# Security notices -------------------------------------------------------------------------
def test_a_sign_in_from_a_new_device_is_a_security_notice(app, client):
    alice = make_customer(app, "Alice Able")
    assert login(client, alice.email).status_code == 302  # the very first: nothing to compare
    assert notices(app, alice.id) == []
    client.post(
        "/auth/logout", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))}
    )
    assert login(client, alice.email).status_code == 302  # the same browser: known
    assert notices(app, alice.id) == []

    other = app.test_client()
    assert login(other, alice.email).status_code == 302  # another browser
    (notice,) = notices(app, alice.id)
    assert notice.kind == "new_device_sign_in"
    (mail,) = mails_to(alice.email)
    assert "always emailed" in mail.body


def test_security_notices_are_emailed_even_when_every_choice_is_off(app, client):
    alice = make_customer(app, "Alice Able")
    login(client, alice.email)
    with app.app_context():
        for kind in ("new_device_sign_in", "two_factor_changed"):  # written behind the form
            db.session.add(NotificationPreference(user_id=alice.id, kind=kind, email=False))
        db.session.commit()
    enroll(client)
    assert kinds(app, alice.id) == ["two_factor_changed"]
    assert [m for m in mails_to(alice.email) if "Two-factor" in m.subject]


def test_a_password_change_is_notified_and_emailed_once(app, client):
    alice = make_customer(app, "Alice Able")
    login_as(client, app, alice.id)
    assert change_own_password(client, PASSWORD, "a brand new passphrase 42").status_code == 302
    assert kinds(app, alice.id) == ["password_changed"]
    assert len([m for m in mails_to(alice.email) if "password" in m.subject.lower()]) == 1


def test_freezing_and_unfreezing_notify_the_owner_not_the_admin(app, client):
    alice = make_customer(app, "Alice Able")
    admin = make_admin(app)
    login_as(client, app, admin.id)
    confirm_action(client, f"/admin/accounts/{alice.account_id}/freeze", {"reason": "check"})
    confirm_action(client, f"/admin/accounts/{alice.account_id}/unfreeze", {"reason": "ok"})
    assert kinds(app, alice.id) == ["account_frozen", "account_unfrozen"]
    assert notices(app, admin.id) == []
    for notice in notices(app, alice.id):
        assert alice.account_number not in notice.body


# Email choices --------------------------------------------------------------------------
def test_turning_an_email_off_keeps_the_notification_but_sends_no_email(app, client):
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    login_as(client, app, bob.id)
    # Every optional kind listed, only "incoming_transfer" unticked.
    page = client.get("/auth/profile").get_data(as_text=True)
    listed = re.findall(r'name="kinds" value="([^"]+)"', page)
    assert "incoming_transfer" in listed and "new_device_sign_in" not in listed
    data = {"kinds": listed} | {f"email_{k}": "on" for k in listed if k != "incoming_transfer"}
    assert (
        submit(client, "/auth/profile/notifications", data, form_url="/auth/profile").status_code
        == 302
    )
    page = client.get("/auth/profile").get_data(as_text=True)
    assert re.search(r'name="email_incoming_transfer" value="on">', page)  # unticked now

    login_as(client, app, alice.id)
    pay(client, alice.account_id, bob.account_number, "1.00")
    assert kinds(app, bob.id) == ["incoming_transfer"]
    assert mails_to(bob.email) == []


def test_a_security_notice_cannot_be_turned_off(app, client):
    bob = make_customer(app, "Bob Baker")
    login_as(client, app, bob.id)
    response = submit(
        client,
        "/auth/profile/notifications",
        {"kinds": ["new_device_sign_in"]},
        form_url="/auth/profile",
    )
    assert response.status_code == 400
    assert "cannot be turned off" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(NotificationPreference)).all() == []


# The inbox ------------------------------------------------------------------------------
def _notify(app, user_id: int, n: int = 1) -> list[int]:
    from banking.core import notifications as catalogue

    with app.app_context():
        rows = [
            catalogue.build(user_id, "incoming_transfer", f"Notice {i}", "Body", link="/schedules")
            for i in range(n)
        ]
        db.session.add_all(rows)
        db.session.commit()
        return [r.id for r in rows]


def test_opening_a_notification_marks_it_read_and_follows_its_link(app, client):
    alice = make_customer(app, "Alice Able")
    login_as(client, app, alice.id)
    (nid,) = _notify(app, alice.id)
    page = client.get("/notifications").get_data(as_text=True)
    assert "Notice 0" in page and badge(client) == 1
    response = client.post(f"/notifications/{nid}/open", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/schedules")
    assert notices(app, alice.id)[0].read_at is not None
    assert badge(client) == 0


def test_another_users_notification_is_a_404_and_stays_unread(app, client):
    alice = make_customer(app, "Alice Able")
    bob = make_customer(app, "Bob Baker")
    (bobs,) = _notify(app, bob.id)
    login_as(client, app, alice.id)
    token = csrf_from(client.get("/notifications").get_data(as_text=True))
    assert client.post(f"/notifications/{bobs}/open", data={"csrf_token": token}).status_code == 404
    assert "Notice 0" not in client.get("/notifications").get_data(as_text=True)
    assert notices(app, bob.id)[0].read_at is None


def test_mark_all_read_needs_the_forms_token_and_marks_only_ones_own(app, client):
    alice = make_customer(app, "Alice Able")
    bob = make_customer(app, "Bob Baker")
    _notify(app, alice.id, 3)
    _notify(app, bob.id)
    login_as(client, app, alice.id)
    assert client.post("/notifications/read").status_code == 400
    assert badge(client) == 3
    page = client.get("/notifications").get_data(as_text=True)
    assert (
        client.post("/notifications/read", data={"csrf_token": csrf_from(page)}).status_code == 302
    )
    assert all(n.read_at for n in notices(app, alice.id))
    assert notices(app, bob.id)[0].read_at is None
    assert badge(client) == 0


def test_the_inbox_pages_newest_first(app, client):
    alice = make_customer(app, "Alice Able")
    _notify(app, alice.id, 25)
    login_as(client, app, alice.id)
    first = client.get("/notifications").get_data(as_text=True)
    assert first.count('data-testid="notification"') == 20
    assert first.index("Notice 24") < first.index("Notice 5")
    older = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = client.get(older).get_data(as_text=True)
    assert second.count('data-testid="notification"') == 5 and "Notice 0" in second
    assert client.get("/notifications?before=abc").status_code == 404


@pytest.fixture(params=CACHE_STATES)
def cache_state(request, app):
    yield from point_cache_at(request, app, "banking-notifications-test:")


def test_a_new_notification_shows_on_the_next_cached_page(app, client, cache_state):
    """The header is part of the cached pages: a notification (and reading it) outdates them."""
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    login_as(client, app, bob.id)
    assert badge(client) == 0
    assert badge(client) == 0  # now from the cache (when there is one)

    other = app.test_client()
    login_as(other, app, alice.id)
    pay(other, alice.account_id, bob.account_number, "2.00")
    assert badge(client) == 1

    page = client.get("/notifications").get_data(as_text=True)
    client.post("/notifications/read", data={"csrf_token": csrf_from(page)})
    assert badge(client) == 0
    for path in (f"/accounts/{bob.account_id}/history", "/transfers/pay"):
        assert 'data-testid="unread-count"' not in client.get(path).get_data(as_text=True)


def test_a_two_factor_reset_by_the_bank_is_a_security_notice(app, client):
    alice = make_customer(app, "Alice Able")
    login(client, alice.email)
    enroll(client)
    admin = make_admin(app)
    admin_browser = app.test_client()
    login_as(admin_browser, app, admin.id)
    confirm_action(admin_browser, f"/admin/users/{alice.id}/reset-2fa", {"reason": "lost phone"})

    assert kinds(app, alice.id) == ["two_factor_changed", "two_factor_changed"]
    assert notices(app, alice.id)[-1].title == "Two-factor authentication was reset"
    assert notices(app, admin.id) == []
    assert len([m for m in mails_to(alice.email) if "Two-factor" in m.subject]) == 2


def test_a_password_reset_by_email_link_is_notified(app, client):
    alice = make_customer(app, "Alice Able")
    submit(client, "/auth/forgot", {"email": alice.email})
    link = re.search(r"https?://[^/\s]+(/auth/reset/\S+)", email_service.outbox[-1].body).group(1)
    new = "violet harbour lantern drift"
    assert submit(client, link, {"password": new, "confirm": new}).status_code == 302

    (notice,) = notices(app, alice.id)
    assert notice.kind == "password_changed" and "reset with an emailed link" in notice.body
    # One email says so (the reset's own), not two.
    assert len([m for m in mails_to(alice.email) if "password was changed" in m.subject]) == 1
