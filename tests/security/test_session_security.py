"""Session cookies: production flags, no replay after sign-out or a password change, no
fixation (a session planted before sign-in is not the one used after it)."""

from __future__ import annotations

import pytest

from config import ProductionConfig
from tests.support.builders import login, make_customer
from tests.support.forms import submit
from tests.support.sessions import change_own_password

COOKIE = "banking_session"
NEW_PASSWORD = "a brand new passphrase 2025"


@pytest.fixture
def production_cookie_settings(app, monkeypatch):
    """The test app with the cookie settings ProductionConfig really produces."""
    monkeypatch.setenv("SECRET_KEY", "p" * 48)
    monkeypatch.setenv("DATABASE_URL", "postgresql://unused@127.0.0.1/unused")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    production = ProductionConfig()
    names = [n for n in vars(production) if n.startswith(("SESSION_COOKIE", "REMEMBER_COOKIE"))]
    app.config.update({name: getattr(production, name) for name in names})
    return production


def _set_cookies(response) -> dict[str, str]:
    """Set-Cookie headers by cookie name (the raw header, flags included)."""
    found = {}
    for header in response.headers.getlist("Set-Cookie"):
        name = header.split("=", 1)[0]
        found[name] = header
    return found


def test_production_cookies_are_secure_httponly_and_samesite_lax(app, production_cookie_settings):
    assert production_cookie_settings.SESSION_COOKIE_SECURE is True
    customer = make_customer(app, "Cora Cookie")
    client = app.test_client()
    response = submit(
        client,
        "/auth/login",
        {"email": customer.email, "password": customer.password, "remember": "y"},
    )
    assert response.status_code == 302
    cookies = _set_cookies(response)
    assert COOKIE in cookies and "remember_token" in cookies, cookies
    for name in (COOKIE, "remember_token"):
        flags = [part.strip().lower() for part in cookies[name].split(";")]
        assert "secure" in flags, cookies[name]
        assert "httponly" in flags, cookies[name]
        assert "samesite=lax" in flags, cookies[name]


def _cookie_value(client) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    return cookie.value


def _replay(app, value: str):
    """A fresh browser presenting a copied cookie."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, value)
    return thief.get("/")


def test_old_session_cookie_is_dead_after_sign_out(app, client):
    customer = make_customer(app, "Olive Out")
    login(client, customer.email)
    stolen = _cookie_value(client)
    assert _replay(app, stolen).status_code == 200  # the copy works while signed in
    assert submit(client, "/auth/logout", form_url="/auth/profile").status_code == 302
    replay = _replay(app, stolen)
    assert replay.status_code == 302
    assert "/auth/login" in replay.headers["Location"]


def test_remember_cookie_is_dead_after_sign_out(app, client):
    customer = make_customer(app, "Remy Remember")
    submit(
        client,
        "/auth/login",
        {"email": customer.email, "password": customer.password, "remember": "y"},
    )
    remember = client.get_cookie("remember_token")
    assert remember is not None
    submit(client, "/auth/logout", form_url="/auth/profile")
    thief = app.test_client()
    thief.set_cookie("remember_token", remember.value)
    response = thief.get("/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_other_sessions_are_dead_after_a_password_change(app, client):
    customer = make_customer(app, "Pat Password")
    login(client, customer.email)
    other_device = _cookie_value(client)
    response = change_own_password(client, customer.password, NEW_PASSWORD)
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this browser stays signed in
    replay = _replay(app, other_device)
    assert replay.status_code == 302 and "/auth/login" in replay.headers["Location"]


def test_a_session_planted_before_sign_in_is_not_the_signed_in_session(app, client):
    customer = make_customer(app, "Fay Fixation")
    attacker = app.test_client()
    attacker.get("/auth/login")
    with attacker.session_transaction() as planted:
        planted["planted"] = "by-attacker"
        planted["_id"] = "attacker-chosen-identifier"
    planted_cookie = _cookie_value(attacker)
    client.set_cookie(COOKIE, planted_cookie)
    response = login(client, customer.email)
    assert response.status_code == 302
    signed_in = _cookie_value(client)
    assert signed_in != planted_cookie
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("_id") != "attacker-chosen-identifier"
    # The planted cookie itself is still anonymous.
    replay = _replay(app, planted_cookie)
    assert replay.status_code == 302 and "/auth/login" in replay.headers["Location"]
