"""What binds a session to its owner (banking/web/security.py says it, this proves it).

Flask-Login's session protection is off: a copied cookie is *not* tied to the client's
address or browser (behind a proxy that fingerprint was whatever X-Forwarded-For said).
It is tied to the server-side session token, which sign-out and a password change
rotate, and to the absolute limit, whose clock the signed cookie carries and its holder
cannot reset.
"""

from __future__ import annotations

import time

from banking.extensions import login_manager
from banking.web.sessions import LOGIN_AT
from tests.support.builders import login, make_customer
from tests.support.forms import submit
from tests.support.sessions import change_own_password

COOKIE = "banking_session"
NEW_PASSWORD = "a brand new passphrase 2025"


def _thief(app, value: str, *, address: str = "203.0.113.9", agent: str = "Thief/1.0"):
    """Another browser, from another address, presenting a copy of the cookie."""
    thief = app.test_client()
    thief.environ_base.update(REMOTE_ADDR=address, HTTP_USER_AGENT=agent)
    thief.set_cookie(COOKIE, value)
    return thief


def _signed_in(client) -> bool:
    return client.get("/auth/profile").status_code == 200


def test_flask_login_session_protection_is_off(app):
    assert login_manager.session_protection is None
    assert app.login_manager.session_protection is None


def test_no_fingerprint_is_computed_for_a_signed_in_page_when_protection_is_off(
    app, client, monkeypatch
):
    # Flask-Login would hash address and user agent on every request, then drop the hash.
    customer = make_customer(app, "Fay Fingerprint")
    login(client, customer.email)
    calls = []
    real = login_manager._session_identifier_generator
    monkeypatch.setattr(
        login_manager, "_session_identifier_generator", lambda: calls.append(1) or real()
    )
    assert _signed_in(client)
    assert calls == []


def test_a_copied_cookie_is_not_bound_to_address_or_browser_but_dies_at_sign_out(app, client):
    customer = make_customer(app, "Cody Copy")
    client.environ_base["HTTP_USER_AGENT"] = "Owner/1.0"
    login(client, customer.email)
    thief = _thief(app, client.get_cookie(COOKIE).value)
    spoofed = _thief(app, client.get_cookie(COOKIE).value, address="127.0.0.1", agent="Owner/1.0")
    # What the comment claims: no IP/UA binding (so none to spoof either)...
    assert _signed_in(thief) and _signed_in(spoofed)
    # ...but the server-side token: signing out kills every copy.
    submit(client, "/auth/logout", form_url="/auth/profile")
    assert not _signed_in(thief) and not _signed_in(spoofed)


def test_a_copied_cookie_dies_when_the_password_changes(app, client):
    customer = make_customer(app, "Pia Password")
    login(client, customer.email)
    thief = _thief(app, client.get_cookie(COOKIE).value)
    assert _signed_in(thief)
    response = change_own_password(client, customer.password, NEW_PASSWORD)
    assert response.status_code == 302
    assert _signed_in(client)
    assert not _signed_in(thief)


def test_a_copied_cookie_kept_active_still_dies_at_the_absolute_limit(app, client):
    customer = make_customer(app, "Al Absolute")
    login(client, customer.email)
    # Age the session as if it had started past the absolute limit (the thief cannot do
    # this: the clock is inside the signed cookie); using it keeps the idle clock fresh.
    with client.session_transaction() as session:
        session[LOGIN_AT] = int(time.time()) - app.config["SESSION_ABSOLUTE_HOURS"] * 3600 - 5
    thief = _thief(app, client.get_cookie(COOKIE).value)
    assert not _signed_in(thief)
