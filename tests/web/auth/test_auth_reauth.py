"""Re-authentication (banking/services/reauth.py): every form that re-checks a signed-in
user's password or code counts failures on the sign-in lockout's counter, audits each,
is rate-limited per user, and at the threshold signs the user out everywhere."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import select

from banking.core.models import AuditEvent, User
from banking.extensions import db, limiter
from banking.services import auth_events as events
from tests.support.audit import audit_actions
from tests.support.builders import PASSWORD, get_user, login, make_customer
from tests.support.forms import submit
from tests.support.two_factor import confirm_setup, enroll, open_setup

WRONG = "not my password at all, honest"
NEW_PASSWORD = "copper meadow whistle rain"
COOKIE = "banking_session"
LOCKED_TEXT = "Too many failed attempts"


def _wrong_password_change(client):
    return submit(
        client,
        "/auth/profile/password",
        {"current_password": WRONG, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        form_url="/auth/profile",
    )


def _wrong_disable(client):
    return submit(client, "/auth/two-factor/disable", {"password": WRONG, "code": "123456"})


def _wrong_setup(client):
    secret, token = open_setup(client)
    return confirm_setup(client, token, pyotp.TOTP(secret).now(), WRONG)


FORMS = {
    "password change": (_wrong_password_change, False),
    "two-factor disable": (_wrong_disable, True),
    "two-factor set-up": (_wrong_setup, False),
}


def _signed_in(app, enrolled: bool):
    """A signed-in client (with two-factor on when `enrolled`) and the customer."""
    customer = make_customer(app)
    client = app.test_client()
    login(client, customer.email)
    if enrolled:
        enroll(client)
        with app.app_context():
            limiter.reset()  # enrolling was a re-check too; start each test's budget at 0
    return client, customer


def _copy(app, client):
    thief = app.test_client()
    thief.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return thief


def _reauth_failures(app, user_id: int) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == events.REAUTH_FAILED, AuditEvent.actor_id == user_id)
            .order_by(AuditEvent.id)
        ).all()
        db.session.expunge_all()
        return list(rows)


@pytest.mark.parametrize("form", FORMS)
def test_threshold_of_wrong_re_checks_locks_and_signs_out_everywhere(app, form):
    attempt, enrolled = FORMS[form]
    client, customer = _signed_in(app, enrolled)
    thief = _copy(app, client)
    threshold = app.config["LOCKOUT_THRESHOLD"]
    for n in range(threshold - 1):
        response = attempt(client)
        assert response.status_code in (200, 400), (n, response.status_code)
        assert "incorrect" in response.get_data(as_text=True)
        assert get_user(app, customer.id).failed_logins == n + 1
    last = attempt(client)
    assert last.status_code == 302 and last.headers["Location"] == "/auth/login"
    user = get_user(app, customer.id)
    assert user.failed_logins == threshold and user.lockout_until is not None
    # This session and every copy of its cookie are signed out...
    assert LOCKED_TEXT in client.get("/auth/login").get_data(as_text=True)
    assert client.get("/auth/profile").headers["Location"].startswith("/auth/login")
    assert thief.get("/auth/profile").headers["Location"].startswith("/auth/login")
    # ...and the account is locked as sign-in locks it: the right password won't do.
    refused = login(app.test_client(), customer.email)
    assert refused.status_code == 200 and LOCKED_TEXT in refused.get_data(as_text=True)
    failures = _reauth_failures(app, customer.id)
    assert len(failures) == threshold
    assert all(not row.success and row.details["reason"] == "bad_password" for row in failures)
    assert {row.details["failures"] for row in failures} == set(range(1, threshold + 1))
    assert audit_actions(app).count(events.LOCKOUT) == 1
    assert WRONG not in str([row.details for row in failures])


@pytest.mark.parametrize("form", FORMS)
def test_re_checks_are_rate_limited_per_user(app, form):
    attempt, enrolled = FORMS[form]
    client, customer = _signed_in(app, enrolled)
    app.config["REAUTH_RATE_LIMIT"] = "3/minute"
    statuses = [attempt(client).status_code for _ in range(3)]
    assert 429 not in statuses
    limited = attempt(client)
    assert limited.status_code == 429
    assert "tried that too often" in limited.get_data(as_text=True)
    assert get_user(app, customer.id).failed_logins == 3  # the refused try checked nothing
    # Per user: another copy of the cookie, from another address, shares the budget...
    elsewhere = _copy(app, client)
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert attempt(elsewhere).status_code == 429
    # ...while another customer on the same address has their own.
    neighbour, _ = _signed_in(app, enrolled)
    assert attempt(neighbour).status_code != 429


def test_the_re_check_forms_share_one_budget(app):
    client, _ = _signed_in(app, enrolled=False)
    app.config["REAUTH_RATE_LIMIT"] = "3/minute"
    _wrong_password_change(client)
    _wrong_password_change(client)
    assert _wrong_setup(client).status_code != 429
    assert _wrong_password_change(client).status_code == 429
    assert _wrong_setup(client).status_code == 429


def test_sign_in_and_re_check_failures_share_one_counter(app):
    app.config["LOCKOUT_THRESHOLD"] = 5
    client, customer = _signed_in(app, enrolled=False)
    for _ in range(2):
        login(app.test_client(), customer.email, WRONG)
    assert get_user(app, customer.id).failed_logins == 2
    assert _wrong_password_change(client).status_code == 400
    assert _wrong_setup(client).status_code == 200
    assert get_user(app, customer.id).failed_logins == 4
    # The fifth failure, a sign-in, locks; the signed-in session can't re-check now.
    login(app.test_client(), customer.email, WRONG)
    assert get_user(app, customer.id).lockout_until is not None
    response = submit(
        client,
        "/auth/profile/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        form_url="/auth/profile",
    )
    assert response.status_code == 400 and LOCKED_TEXT in response.get_data(as_text=True)
    user = get_user(app, customer.id)
    assert user.failed_logins == 5  # a refused try while locked doesn't count, as at sign-in
    assert login(app.test_client(), customer.email, NEW_PASSWORD).status_code == 200
    refusal = _reauth_failures(app, customer.id)[-1]
    assert refusal.details["reason"] == "locked_out"


def test_a_wrong_code_with_the_right_password_counts_too(app):
    client, customer = _signed_in(app, enrolled=True)
    response = submit(client, "/auth/two-factor/disable", {"password": PASSWORD, "code": "1"})
    assert "The password or code is incorrect." in response.get_data(as_text=True)
    assert get_user(app, customer.id).failed_logins == 1
    assert get_user(app, customer.id).totp_enabled
    assert _reauth_failures(app, customer.id)[0].details == {
        "purpose": "2fa_disable",
        "reason": "bad_second_factor",
        "failures": 1,
    }


def test_a_successful_re_check_clears_the_count_as_a_sign_in_does(app):
    client, customer = _signed_in(app, enrolled=True)
    for _ in range(3):
        _wrong_disable(client)
    assert get_user(app, customer.id).failed_logins == 3
    with app.app_context():
        secret = db.session.get(User, customer.id).totp_secret
        db.session.get(User, customer.id).totp_last_counter = None  # a fresh step
        db.session.commit()
    ok = submit(
        client,
        "/auth/two-factor/disable",
        {"password": PASSWORD, "code": pyotp.TOTP(secret).now()},
    )
    assert ok.status_code == 302
    assert get_user(app, customer.id).failed_logins == 0


def test_failed_re_checks_show_in_the_recent_activity(app):
    client, _ = _signed_in(app, enrolled=False)
    _wrong_password_change(client)
    page = client.get("/auth/profile").get_data(as_text=True)
    assert 'badge-failed">Failed' in page
