"""Each worker remembers the session cookies it has verified (banking.web.sessions.
SigningSessionInterface), so a browser's repeated cookie is not verified again on every
request. Remembering must never accept what verifying would refuse: another cookie's
text, an expired one, one signed with a key no longer in use, nor a session a request
changed in place.
"""

from __future__ import annotations

import time

import pytest

from tests.support.builders import login, make_customer
from tests.support.forms import submit


def open_cookie(app, value: str):
    interface = app.session_interface
    with app.test_request_context(
        "/", headers={"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={value}"}
    ) as ctx:
        return interface.open_session(app, ctx.request)


def signed(app, data: dict) -> str:
    return app.session_interface.get_signing_serializer(app).dumps(data)


@pytest.fixture
def loads_calls(app, monkeypatch):
    """How many times the signing serializer really verified a cookie."""
    serializer = app.session_interface.get_signing_serializer(app)
    calls = []
    original = serializer.loads

    def counting(*args, **kwargs):
        calls.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(serializer, "loads", counting)
    return calls


def test_a_signed_in_browser_cookie_is_verified_once_per_worker(app, client, loads_calls):
    customer = make_customer(app)
    assert login(client, customer.email).status_code == 302
    assert client.get("/").status_code == 200  # the first page adds the CSRF secret
    loads_calls.clear()
    for _ in range(3):
        assert client.get("/").status_code == 200
    assert len(loads_calls) == 1


def test_a_remembered_cookie_opens_to_the_same_session_each_time(app, loads_calls):
    value = signed(app, {"uid": 7, "_user_id": "tok", "_fresh": True})
    first, second = open_cookie(app, value), open_cookie(app, value)
    assert dict(first) == dict(second) == {"uid": 7, "_user_id": "tok", "_fresh": True}
    assert len(loads_calls) == 1


def test_a_change_to_an_opened_session_never_reaches_the_next_opening(app):
    value = signed(app, {"uid": 7, "_flashes": [["info", "once"]]})
    first = open_cookie(app, value)
    first["_flashes"].append(["info", "twice"])
    first["uid"] = 8
    again = open_cookie(app, value)
    assert again["uid"] == 7 and again["_flashes"] == [["info", "once"]]
    plain = signed(app, {"uid": 9})
    opened = open_cookie(app, plain)
    opened["uid"] = 10
    assert open_cookie(app, plain)["uid"] == 9


def test_a_tampered_copy_of_a_remembered_cookie_opens_an_empty_session(app):
    value = signed(app, {"uid": 7})
    assert open_cookie(app, value)["uid"] == 7
    payload, _, signature = value.rpartition(".")
    forged = payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    assert dict(open_cookie(app, forged)) == {}
    assert dict(open_cookie(app, value + "x")) == {}


def test_a_remembered_cookie_past_the_session_lifetime_opens_an_empty_session(app, monkeypatch):
    value = signed(app, {"uid": 7})
    assert open_cookie(app, value)["uid"] == 7
    lifetime = int(app.permanent_session_lifetime.total_seconds())
    later = time.time() + lifetime + 5
    monkeypatch.setattr(time, "time", lambda: later)  # what both the memo and itsdangerous read
    assert dict(open_cookie(app, value)) == {}


def test_a_remembered_cookie_signed_with_a_retired_key_opens_an_empty_session(app, monkeypatch):
    value = signed(app, {"uid": 7})
    assert open_cookie(app, value)["uid"] == 7
    monkeypatch.setattr(app, "secret_key", "a-brand-new-secret-key-" + "x" * 40)
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [])
    assert dict(open_cookie(app, value)) == {}


def test_a_cookie_signed_with_a_fallback_key_still_opens(app, monkeypatch):
    value = signed(app, {"uid": 7})
    old_key = app.secret_key
    monkeypatch.setattr(app, "secret_key", "a-brand-new-secret-key-" + "x" * 40)
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [old_key])
    assert open_cookie(app, value)["uid"] == 7
    assert open_cookie(app, value)["uid"] == 7


def test_an_unchanged_session_sets_no_cookie_and_still_varies_on_it(app, client):
    customer = make_customer(app)
    login(client, customer.email)
    client.get("/")
    response = client.get("/")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "Cookie" in response.headers.get("Vary", "")


def test_a_session_the_request_changed_is_written_again(app, client):
    customer = make_customer(app)
    login(client, customer.email)
    client.get("/")
    with client.session_transaction() as session:
        session["last_seen"] = int(time.time()) - 60  # the idle clock is due to move
    moved = client.get("/")
    assert "Set-Cookie" in moved.headers and "Cookie" in moved.headers["Vary"]
    out = submit(client, "/auth/logout", form_url="/auth/profile")
    name = app.config["SESSION_COOKIE_NAME"]
    assert any(c.startswith(f"{name}=") for c in out.headers.getlist("Set-Cookie"))
    kept = client.get_cookie(name, domain="localhost")
    left = app.session_interface.get_signing_serializer(app).loads(kept.value) if kept else {}
    assert "_user_id" not in left
