"""Sign-up doesn't reveal whether an address has an account (issue 12, item 5).

Every sign-up answers with the same redirect and page; the mailbox learns the rest: a
new address gets a signed, single-use, expiring link that makes the account usable, a
taken address gets "someone tried to open an account with your email".
"""

from __future__ import annotations

import re
import time

from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from banking.core.models import User
from banking.extensions import db
from banking.services import auth_events as events
from banking.services import verification as verification_module
from banking.services.reset import make_reset_token
from tests.support.audit import audit_actions
from tests.support.builders import PASSWORD, login, make_customer
from tests.support.forms import submit
from tests.support.signup import (
    CHECK_EMAIL,
    SIGNUP_PASSWORD,
    confirm,
    emails_to,
    sign_up,
    verification_path,
)

VOLATILE = re.compile(r'(nonce|value|content)="[^"]*"')


def _page(response) -> str:
    """A page's text without the per-request values (CSP nonce, CSRF token)."""
    return VOLATILE.sub("", response.get_data(as_text=True))


def _user(app, email: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            db.session.expunge(user)
        db.session.remove()
    return user


# The same answer for every address ------------------------------------------------------
def test_a_new_and_a_taken_address_get_the_same_answer(app):
    make_customer(app, "Tina Taken", email="taken@example.com")
    answers = []
    for address in ("fresh@example.com", "taken@example.com"):
        client = app.test_client()
        response = sign_up(client, email=address)
        landing = client.get(response.headers["Location"])
        answers.append((response.status_code, response.headers["Location"], _page(landing)))
    assert answers[0] == answers[1]
    status, location, page = answers[0]
    assert (status, location) == (302, CHECK_EMAIL)
    assert "Check your email to finish opening your account" in page
    assert "already" not in page.lower()


def test_a_password_rule_error_is_the_same_for_a_new_and_a_taken_address(app):
    make_customer(app, "Tina Taken", email="taken@example.com")
    pages = [
        _page(sign_up(app.test_client(), email=a, password="short", confirm="short"))
        for a in ("fresh@example.com", "taken@example.com")
    ]
    assert pages[0] == pages[1]
    assert "Use at least 12 characters." in pages[0]
    assert "already uses" not in pages[0] and "has an account" not in pages[0]


def test_the_owner_of_a_taken_address_is_told_by_email_and_nothing_changes(app, client):
    owner = make_customer(app, "Tina Taken", email="taken@example.com")
    new = "a new passphrase 42"
    sign_up(client, email="Taken@Example.com", full_name="Mallory", password=new, confirm=new)
    [message] = emails_to("taken@example.com")
    assert "Someone tried to open" in message.subject
    assert "/auth/verify/" not in message.body
    assert "/auth/login" in message.body and "/auth/forgot" in message.body
    user = _user(app, "taken@example.com")
    assert user.full_name == "Tina Taken"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
    assert events.SIGNUP_EXISTING_EMAIL in audit_actions(app)
    assert login(app.test_client(), owner.email, "a new passphrase 42").status_code == 200
    assert login(app.test_client(), owner.email).status_code == 302  # the old one works


def test_a_new_address_gets_a_verification_link_and_an_unverified_account(app, client):
    sign_up(client, email="grace@example.com")
    [message] = emails_to("grace@example.com")
    assert "Confirm your email" in message.subject
    assert re.search(r"http://localhost/auth/verify/\S+", message.body)
    user = _user(app, "grace@example.com")
    assert user is not None and user.email_verified_at is None
    assert events.SIGNUP in audit_actions(app)


# Before and after the link ----------------------------------------------------------------
def test_before_the_link_the_right_password_gets_no_session_but_a_new_link(app, client):
    sign_up(client, email="grace@example.com")
    response = login(client, "grace@example.com", SIGNUP_PASSWORD)
    assert response.status_code == 200
    assert "Confirm your email address first" in response.get_data(as_text=True)
    assert client.get("/auth/profile").status_code == 302
    assert len(emails_to("grace@example.com")) == 2  # a fresh link, in case it expired


def test_before_the_link_a_wrong_password_looks_like_any_wrong_password(app, client):
    sign_up(client, email="grace@example.com")
    unverified = login(client, "grace@example.com", "not the password at all")
    unknown = login(client, "nobody@example.com", "not the password at all")
    assert _page(unverified) == _page(unknown)
    assert "Confirm your email" not in _page(unverified)
    assert len(emails_to("grace@example.com")) == 1


def test_following_the_link_confirms_and_the_account_then_works(app, client):
    sign_up(client, email="grace@example.com")
    response = confirm(client, verification_path("grace@example.com"), follow_redirects=True)
    assert "Your email is confirmed" in response.get_data(as_text=True)
    assert client.get("/auth/profile").status_code == 302  # the link alone is no session
    assert _user(app, "grace@example.com").email_verified_at is not None
    assert events.EMAIL_VERIFIED in audit_actions(app)
    assert login(client, "grace@example.com", SIGNUP_PASSWORD).status_code == 302
    assert "Grace Hopper" in client.get("/auth/profile").get_data(as_text=True)


def test_opening_the_link_without_pressing_confirm_changes_nothing(app, client):
    sign_up(client, email="grace@example.com")
    assert client.get(verification_path("grace@example.com")).status_code == 200
    assert _user(app, "grace@example.com").email_verified_at is None


def test_the_confirm_button_needs_its_csrf_token(app, client):
    sign_up(client, email="grace@example.com")
    response = client.post(verification_path("grace@example.com"))
    assert response.status_code == 400
    assert _user(app, "grace@example.com").email_verified_at is None


# The link: single use, expiry, forgery ----------------------------------------------------
def test_the_link_works_once(app, client):
    sign_up(client, email="grace@example.com")
    path = verification_path("grace@example.com")
    confirm(client, path)
    again = client.get(path)
    assert again.status_code == 400
    assert "This link no longer works" in again.get_data(as_text=True)
    assert client.post(path, data={"csrf_token": "x"}).status_code == 400
    assert audit_actions(app).count(events.EMAIL_VERIFIED) == 1


def test_the_link_expires(app, client, monkeypatch):
    sign_up(client, email="grace@example.com")
    path = verification_path("grace@example.com")
    later = int(time.time()) + app.config["EMAIL_VERIFY_HOURS"] * 3600 + 60
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    response = client.get(path)
    assert response.status_code == 400
    assert "This link no longer works" in response.get_data(as_text=True)
    assert _user(app, "grace@example.com").email_verified_at is None


def test_a_forged_or_foreign_token_is_a_friendly_400(app, client):
    sign_up(client, email="grace@example.com")
    path = verification_path("grace@example.com")
    user = _user(app, "grace@example.com")
    with app.test_request_context():
        reset_token = make_reset_token(user)  # a real token for another purpose
    for bad in (path[:-3] + "abc", "/auth/verify/not-a-token", f"/auth/verify/{reset_token}"):
        response = client.get(bad)
        assert response.status_code == 400, bad
        page = response.get_data(as_text=True)
        assert "This link no longer works" in page and "</html>" in page
    assert _user(app, "grace@example.com").email_verified_at is None


# Other paths that prove the address, and failures -----------------------------------------
def test_a_password_reset_also_confirms_the_address(app, client):
    sign_up(client, email="grace@example.com")
    user = _user(app, "grace@example.com")
    with app.test_request_context():
        token = make_reset_token(user)
    new = "an entirely fresh passphrase"
    submit(client, f"/auth/reset/{token}", {"password": new, "confirm": new})
    assert _user(app, "grace@example.com").email_verified_at is not None
    assert client.get(verification_path("grace@example.com")).status_code == 400
    assert login(client, "grace@example.com", new).status_code == 302


def test_signing_up_again_with_an_unconfirmed_address_changes_nothing(app, client):
    sign_up(client, email="grace@example.com")
    before = _user(app, "grace@example.com")
    other = "another passphrase 9"
    again = sign_up(app.test_client(), email="grace@example.com", password=other, confirm=other)
    assert again.headers["Location"] == CHECK_EMAIL
    _first, second = emails_to("grace@example.com")
    assert "Someone tried to open" in second.subject and "haven't confirmed" in second.body
    assert _user(app, "grace@example.com").password_hash == before.password_hash
    assert confirm(client, verification_path("grace@example.com")).status_code == 302


def test_a_mail_outage_still_answers_the_same_for_both(app, monkeypatch):
    make_customer(app, "Tina Taken", email="taken@example.com")

    def broken(*args, **kwargs):
        raise OSError("smtp down")

    monkeypatch.setattr(verification_module, "send_email", broken)
    for address in ("fresh@example.com", "taken@example.com"):
        response = sign_up(app.test_client(), email=address)
        assert (response.status_code, response.headers["Location"]) == (302, CHECK_EMAIL)


def test_users_made_by_the_operator_and_the_tests_are_verified(app):
    customer = make_customer(app)
    assert _user(app, customer.email).email_verified_at is not None
    assert login(app.test_client(), customer.email, PASSWORD).status_code == 302
