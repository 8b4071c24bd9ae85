"""Two-factor set-up and turn-off against a second holder of the same cookie: a secret
per visit, kept in the session until confirmed; the password asked; the session token
rotated when two-factor goes on or off. And the profile's two-factor card for an admin
whom policy keeps on two-factor."""

from __future__ import annotations

import pyotp
from sqlalchemy import select

from banking.core.models import AuditEvent, User
from banking.extensions import db
from banking.services import auth_events as events
from tests.support.builders import PASSWORD, get_user, login, make_customer
from tests.support.forms import csrf_from, submit
from tests.support.two_factor import (
    confirm_setup,
    enroll,
    open_setup,
    sign_in_admin_with_two_factor,
)

COOKIE = "banking_session"


def _signed_in(app):
    customer = make_customer(app)
    client = app.test_client()
    login(client, customer.email)
    return client, customer


def _copy(app, client):
    thief = app.test_client()
    thief.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return thief


def _signed_in_still(client) -> bool:
    return client.get("/auth/profile").status_code == 200


def test_opening_the_set_up_page_stores_nothing_on_the_account(app):
    client, customer = _signed_in(app)
    open_setup(client)
    user = get_user(app, customer.id)
    assert user.totp_secret is None and user.totp_enabled is False


def test_each_visit_to_the_set_up_page_makes_a_new_secret(app):
    client, _ = _signed_in(app)
    first, _token = open_setup(client)
    second, _token = open_setup(client)
    assert first != second


def test_set_up_asks_for_the_current_password(app):
    client, customer = _signed_in(app)
    secret, token = open_setup(client)
    missing = confirm_setup(client, token, pyotp.TOTP(secret).now(), password="")
    assert missing.status_code == 200
    assert 'id="password-error"' in missing.get_data(as_text=True)
    wrong = confirm_setup(client, token, pyotp.TOTP(secret).now(), password="a wrong guess!")
    assert "Your current password is incorrect." in wrong.get_data(as_text=True)
    # The page shows the same secret again after a refusal, so the scan still works.
    assert secret in wrong.get_data(as_text=True)
    user = get_user(app, customer.id)
    assert user.totp_enabled is False and user.totp_secret is None
    assert user.failed_logins == 1
    ok = confirm_setup(client, token, pyotp.TOTP(secret).now())
    assert "recovery codes" in ok.get_data(as_text=True)
    assert get_user(app, customer.id).totp_secret == secret


def test_a_second_cookie_holder_cannot_plant_their_secret_and_their_copy_dies(app):
    victim, customer = _signed_in(app)
    attacker = _copy(app, victim)
    planted, attacker_token = open_setup(attacker)  # the attacker looks first
    own, victim_token = open_setup(victim)
    assert own != planted
    # The victim's confirm checks their own session's secret, not the attacker's...
    refused = confirm_setup(victim, victim_token, pyotp.TOTP(planted).now())
    assert "That code isn" in refused.get_data(as_text=True)
    assert get_user(app, customer.id).totp_enabled is False
    # ...and the attacker can't enrol theirs without the password.
    confirm_setup(attacker, attacker_token, pyotp.TOTP(planted).now(), password="guess 1234567")
    assert get_user(app, customer.id).totp_enabled is False
    with app.app_context():
        db.session.get(User, customer.id).totp_last_counter = None
        db.session.commit()
    enrolled = confirm_setup(victim, victim_token, pyotp.TOTP(own).now())
    assert "recovery codes" in enrolled.get_data(as_text=True)
    user = get_user(app, customer.id)
    assert user.totp_enabled and user.totp_secret == own
    # Turning two-factor on rotated the session token: this tab stays, the copy dies.
    assert _signed_in_still(victim)
    assert not _signed_in_still(attacker)


def test_a_cookie_copied_before_enrolment_is_dead_after_it(app):
    client, _ = _signed_in(app)
    copy = _copy(app, client)
    assert _signed_in_still(copy)
    enroll(client)
    assert _signed_in_still(client)
    assert not _signed_in_still(copy)


def test_turning_two_factor_off_signs_out_other_copies_of_the_session(app):
    client, customer = _signed_in(app)
    secret, _codes = enroll(client)
    copy = _copy(app, client)
    assert _signed_in_still(copy)
    with app.app_context():
        db.session.get(User, customer.id).totp_last_counter = None
        db.session.commit()
    response = submit(
        client,
        "/auth/two-factor/disable",
        {"password": PASSWORD, "code": pyotp.TOTP(secret).now()},
    )
    assert response.status_code == 302
    assert _signed_in_still(client)
    assert not _signed_in_still(copy)
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert events.TWO_FACTOR_ENROLL in actions and events.TWO_FACTOR_DISABLE in actions


def test_an_expired_set_up_starts_again_with_a_new_secret(app):
    client, customer = _signed_in(app)
    secret, token = open_setup(client)
    with client.session_transaction() as session:
        session["2fa_setup_at"] -= 16 * 60
    response = confirm_setup(client, token, pyotp.TOTP(secret).now())
    page = response.get_data(as_text=True)
    assert "That set-up expired" in page and secret not in page
    assert get_user(app, customer.id).totp_enabled is False


def test_an_admin_kept_on_two_factor_is_told_why_instead_of_offered_the_button(app, client):
    app.config["ADMIN_REQUIRES_2FA"] = True
    sign_in_admin_with_two_factor(app, client)
    page = client.get("/auth/profile").get_data(as_text=True)
    assert "your administrator role requires it" in page
    assert "Turn off two-factor" not in page
    assert "/auth/two-factor/disable" not in page


def test_an_admin_may_turn_two_factor_off_when_policy_allows(app, client):
    app.config["ADMIN_REQUIRES_2FA"] = False
    sign_in_admin_with_two_factor(app, client)
    page = client.get("/auth/profile").get_data(as_text=True)
    assert "Turn off two-factor" in page
    assert "your administrator role requires it" not in page


def test_the_recovery_codes_page_forms_work_in_the_new_session(app):
    """Enrolling starts a new session in the same request that renders the codes: the
    page's Sign out form used to carry the old session's CSRF token and answer 400."""
    client, _ = _signed_in(app)
    secret, token = open_setup(client)
    page = confirm_setup(client, token, pyotp.TOTP(secret).now()).get_data(as_text=True)

    response = client.post("/auth/logout", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert not _signed_in_still(client)
