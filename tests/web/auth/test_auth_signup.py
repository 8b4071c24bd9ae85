"""Sign-up: validation, the password rules, normalization, and where success lands.

That every address gets the same answer, and the email link, are in
test_auth_signup_verification.py."""

from __future__ import annotations

from sqlalchemy import func, select

from banking.core.models import Account, AuditEvent, User
from banking.extensions import db
from banking.services import auth_events as events
from banking.web.presenters import spoken_duration
from tests.support.builders import make_customer
from tests.support.signup import CHECK_EMAIL, SIGNUP_PASSWORD, sign_up, sign_up_and_sign_in

GOOD_PASSWORD = SIGNUP_PASSWORD


def signup(client, **overrides):
    return sign_up(client, **overrides)


def test_signup_lands_on_check_your_email_without_signing_in(app, client):
    response = signup(client)
    assert response.status_code == 302
    assert response.headers["Location"] == CHECK_EMAIL
    assert "Check your email" in client.get(CHECK_EMAIL).get_data(as_text=True)
    assert client.get("/auth/profile").status_code == 302  # not signed in


def test_signup_then_the_emailed_link_opens_a_working_account(app, client):
    sign_up_and_sign_in(client)
    profile = client.get("/auth/profile")
    assert profile.status_code == 200
    assert "Grace Hopper" in profile.get_data(as_text=True)


def test_signup_opens_the_first_checking_account_and_audits(app, client):
    signup(client)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "grace@example.com"))
        accounts = db.session.scalars(select(Account).where(Account.owner_id == user.id)).all()
        assert [a.kind for a in accounts] == ["checking"]
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert events.SIGNUP in actions


def test_signup_stores_the_email_normalized(app, client):
    signup(client, email="  Grace.Hopper@EXAMPLE.com ")
    with app.app_context():
        emails = db.session.scalars(select(User.email)).all()
    assert "grace.hopper@example.com" in emails


def test_signup_with_an_email_taken_in_another_case_creates_nothing(app, client):
    taken = make_customer(app, email="taken@example.com")
    response = signup(client, email="TAKEN@Example.com")
    assert response.status_code == 302 and response.headers["Location"] == CHECK_EMAIL
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
        user = db.session.get(User, taken.id)
        assert user.full_name == taken.full_name


def test_signup_refuses_an_invalid_email(app, client):
    response = signup(client, email="not-an-email")
    assert "Enter a valid email address." in response.get_data(as_text=True)


def test_signup_refuses_a_short_password(app, client):
    response = signup(client, password="short pass", confirm="short pass")
    assert "Use at least 12 characters." in response.get_data(as_text=True)


def test_signup_refuses_a_password_over_128_characters(app, client):
    long = "x" * 129
    response = signup(client, password=long, confirm=long)
    assert "Use at most 128 characters." in response.get_data(as_text=True)


def test_signup_accepts_any_characters_without_composition_rules(app, client):
    password = "ünïcødé only lowercase 🙂"
    response = signup(client, password=password, confirm=password)
    assert response.status_code == 302


def test_signup_refuses_a_common_password(app, client):
    response = signup(client, password="password1234", confirm="password1234")
    assert "too common" in response.get_data(as_text=True)


def test_signup_refuses_a_password_containing_the_email_local_part(app, client):
    password = "my name is gracehopper!"
    response = signup(client, email="gracehopper@example.com", password=password, confirm=password)
    assert "email address in your password" in response.get_data(as_text=True)


def test_signup_refuses_mismatched_passwords(app, client):
    response = signup(client, confirm=GOOD_PASSWORD + "x")
    assert "The passwords don&#39;t match." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "grace@example.com")) is None


def test_signup_without_csrf_token_is_a_400_page(app, client):
    response = client.post(
        "/auth/signup",
        data={
            "full_name": "Grace",
            "email": "grace@example.com",
            "password": GOOD_PASSWORD,
            "confirm": GOOD_PASSWORD,
        },
    )
    assert response.status_code == 400
    assert "Your form expired" in response.get_data(as_text=True)


def test_signup_is_rate_limited_per_ip_with_a_friendly_page(app):
    app.config["SIGNUP_RATE_LIMIT"] = "2/hour"
    statuses = [signup(app.test_client(), email=f"person{n}@example.com") for n in range(3)]
    assert [r.status_code for r in statuses] == [302, 302, 429]
    page = statuses[-1].get_data(as_text=True)
    assert "<h1>Too many requests</h1>" in page and "</html>" in page
    # When to come back, in words and in Retry-After: the hour's window is nearly whole.
    retry_after = int(statuses[-1].headers["Retry-After"])
    assert 3500 < retry_after <= 3601  # the limiter's reset time is a whole second
    assert f"Please try again in {spoken_duration(retry_after)}." in page
    assert spoken_duration(retry_after) in ("60 minutes", "61 minutes")
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "person2@example.com")) is None


def test_signup_is_rate_limited_per_email_across_ips(app):
    app.config["SIGNUP_RATE_LIMIT"] = "2/hour"
    statuses = []
    for n in range(3):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.2.{n + 1}"
        statuses.append(signup(client, password="x").status_code)  # refused, same email
    assert statuses == [200, 200, 429]
