"""Two-factor: enrollment with a server-rendered QR, two-step sign-in, replay and recovery."""

from __future__ import annotations

import re
import time

import pyotp
from sqlalchemy import select

from banking.core.models import AuditEvent, RecoveryCode, User
from banking.extensions import db
from banking.services import auth_events as events
from tests.support.builders import PASSWORD, login, make_customer
from tests.support.forms import submit
from tests.support.two_factor import confirm_setup, open_setup
from tests.support.two_factor import enroll as enroll_through_pages


def enroll(app, client, customer) -> tuple[str, list[str]]:
    """Enroll through the pages; returns the secret and the recovery codes shown."""
    login(client, customer.email)
    return enroll_through_pages(client, customer.password)


def fresh_login(app, customer):
    client = app.test_client()
    response = login(client, customer.email)
    return client, response


def use_new_step(app, customer) -> None:
    """Forget the last accepted step, as if 30 seconds had passed since enrollment."""
    with app.app_context():
        db.session.get(User, customer.id).totp_last_counter = None
        db.session.commit()


def test_setup_page_shows_a_server_rendered_qr_code_and_the_secret(app, client):
    customer = make_customer(app)
    login(client, customer.email)
    response = client.get("/auth/two-factor/setup")
    page = response.get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    assert re.search(r'class="secret-key">[A-Z2-7]{32}<', page)
    assert not re.search(r"<script(?![^>]*\ssrc=)", page)  # no inline script (CSP)
    assert "img-src 'self' data:" in response.headers["Content-Security-Policy"]


def test_enrollment_needs_a_valid_code(app, client):
    customer = make_customer(app)
    login(client, customer.email)
    _secret, token = open_setup(client)
    response = confirm_setup(client, token, "000000")
    assert "That code isn" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, customer.id).totp_enabled is False


def test_enrollment_shows_ten_recovery_codes_once_and_stores_them_hashed(app, client):
    customer = make_customer(app)
    _secret, codes = enroll(app, client, customer)
    assert len(codes) == 10 and len(set(codes)) == 10
    with app.app_context():
        user = db.session.get(User, customer.id)
        assert user.totp_enabled
        stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
        assert len(stored) == 10
        assert not set(codes) & set(stored)
        assert events.TWO_FACTOR_ENROLL in db.session.scalars(select(AuditEvent.action)).all()
    # Shown once: the setup page now just sends you back to the profile.
    assert client.get("/auth/two-factor/setup").status_code == 302


def test_sign_in_with_two_factor_needs_the_code_before_signing_in(app, client):
    customer = make_customer(app)
    secret, _ = enroll(app, client, customer)
    use_new_step(app, customer)
    other, response = fresh_login(app, customer)
    assert response.headers["Location"] == "/auth/two-factor"
    assert other.get("/auth/profile").status_code == 302  # not signed in yet
    response = submit(other, "/auth/two-factor", {"code": pyotp.TOTP(secret).now()})
    assert response.headers["Location"] == "/"
    assert other.get("/auth/profile").status_code == 200


def test_code_from_the_previous_step_is_accepted(app, client):
    customer = make_customer(app)
    secret, _ = enroll(app, client, customer)
    use_new_step(app, customer)
    other, _ = fresh_login(app, customer)
    previous = pyotp.TOTP(secret).at(time.time() - 30)
    response = submit(other, "/auth/two-factor", {"code": previous})
    assert response.headers["Location"] == "/"


def test_code_two_steps_old_is_refused(app, client):
    customer = make_customer(app)
    secret, _ = enroll(app, client, customer)
    use_new_step(app, customer)
    other, _ = fresh_login(app, customer)
    stale = pyotp.TOTP(secret).at(time.time() - 90)
    response = submit(other, "/auth/two-factor", {"code": stale})
    assert response.status_code == 200
    assert "That code isn" in response.get_data(as_text=True)


def test_a_code_is_never_accepted_twice(app, client):
    customer = make_customer(app)
    secret, _ = enroll(app, client, customer)
    use_new_step(app, customer)
    code = pyotp.TOTP(secret).now()
    first, _ = fresh_login(app, customer)
    assert submit(first, "/auth/two-factor", {"code": code}).headers["Location"] == "/"
    second, _ = fresh_login(app, customer)
    replay = submit(second, "/auth/two-factor", {"code": code})
    assert replay.status_code == 200
    assert second.get("/auth/profile").status_code == 302


def test_recovery_code_signs_in_once(app, client):
    customer = make_customer(app)
    _secret, codes = enroll(app, client, customer)
    first, _ = fresh_login(app, customer)
    assert submit(first, "/auth/two-factor", {"code": codes[0].upper()}).status_code == 302
    second, _ = fresh_login(app, customer)
    again = submit(second, "/auth/two-factor", {"code": codes[0]})
    assert again.status_code == 200
    assert second.get("/auth/profile").status_code == 302
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count(events.RECOVERY_CODE_USED) == 1


def test_wrong_codes_count_toward_the_lockout(app, client):
    app.config["LOCKOUT_THRESHOLD"] = 3
    customer = make_customer(app)
    enroll(app, client, customer)
    other, _ = fresh_login(app, customer)
    submit(other, "/auth/two-factor", {"code": "000000"})
    submit(other, "/auth/two-factor", {"code": "000001"})
    response = submit(other, "/auth/two-factor", {"code": "000002"}, follow_redirects=True)
    assert "Too many failed attempts" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, customer.id).lockout_until is not None


def test_code_step_without_a_password_step_goes_back_to_sign_in(app, client):
    response = client.get("/auth/two-factor")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_two_factor_step_is_rate_limited(app, client):
    app.config["LOGIN_RATE_LIMIT"] = "3/minute"
    customer = make_customer(app)
    enroll(app, client, customer)
    app.config["LOGIN_RATE_LIMIT"] = "100/minute"
    other, _ = fresh_login(app, customer)
    app.config["LOGIN_RATE_LIMIT"] = "2/minute"
    statuses = [submit(other, "/auth/two-factor", {"code": "000000"}).status_code for _ in range(3)]
    assert statuses[-1] == 429


def test_two_factor_rate_limit_follows_the_pending_account_whatever_email_is_posted(app, client):
    """An attacker past the password step can't reset the per-account bucket by posting a
    different `email=` (and coming from a different address) with every guess."""
    customer = make_customer(app)
    enroll(app, client, customer)
    other, _ = fresh_login(app, customer)
    app.config["LOGIN_RATE_LIMIT"] = "2/minute"
    statuses = []
    for n in range(3):
        other.environ_base["REMOTE_ADDR"] = f"10.0.1.{n + 1}"
        response = submit(
            other, "/auth/two-factor", {"code": "000000", "email": f"decoy{n}@example.com"}
        )
        statuses.append(response.status_code)
    assert statuses == [200, 200, 429]


def test_disabling_needs_the_password_and_a_code(app, client):
    customer = make_customer(app)
    secret, _ = enroll(app, client, customer)
    use_new_step(app, customer)
    wrong = submit(
        client,
        "/auth/two-factor/disable",
        {"password": "not my password at all", "code": pyotp.TOTP(secret).now()},
    )
    assert "The password or code is incorrect." in wrong.get_data(as_text=True)
    no_code = submit(client, "/auth/two-factor/disable", {"password": PASSWORD, "code": "123"})
    assert "The password or code is incorrect." in no_code.get_data(as_text=True)
    ok = submit(
        client,
        "/auth/two-factor/disable",
        {"password": PASSWORD, "code": pyotp.TOTP(secret).now()},
    )
    assert ok.status_code == 302
    with app.app_context():
        user = db.session.get(User, customer.id)
        assert user.totp_enabled is False and user.totp_secret is None
        assert db.session.scalars(select(RecoveryCode)).all() == []
        assert events.TWO_FACTOR_DISABLE in db.session.scalars(select(AuditEvent.action)).all()
    assert fresh_login(app, customer)[1].headers["Location"] == "/"
