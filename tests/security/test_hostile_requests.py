"""CSRF on every POST route, open-redirect attempts, injection strings, over-size bodies.

The POST routes are read from the URL map, so a new form is covered the day it lands.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from banking.extensions import db
from banking.models import Account, JournalTransaction, Payee, User
from tests.builders import make_customer
from tests.conftest import submit
from tests.security.world import build_world, page_csrf, snapshot
from tests.session_helpers import login_as
from tests.transfer_helpers import form_fields, own_transfer, start_transfer


# CSRF -----------------------------------------------------------------------------------
def _post_rules(app):
    return sorted(
        (r for r in app.url_map.iter_rules() if "POST" in r.methods),
        key=lambda r: r.endpoint,
    )


@pytest.mark.parametrize("token", ["missing", "wrong", "other session"])
def test_every_post_route_refuses_a_missing_or_wrong_csrf_token(app, token):
    world = build_world(app)
    before = snapshot(app)
    rules = _post_rules(app)
    assert len(rules) > 30  # the whole map, not a sample
    stranger = app.test_client()
    stolen = page_csrf(stranger)  # valid, but for another session
    answers = {}
    for rule in rules:
        client = app.test_client()
        user = world.admin if rule.endpoint.startswith("admin.") else world.a.customer
        login_as(client, app, user.id)
        url = rule.build({**world.a.params(), "user_id": world.b.customer.id}, False)[1]
        data = {"nickname": "x", "amount": "1.00", "full_name": "X", "email": "x@example.com"}
        if token == "wrong":
            data["csrf_token"] = "ImJvZ3VzIg.bogus.signature"
        elif token == "other session":
            data["csrf_token"] = stolen
        response = client.post(url, data=data)
        answers[rule.endpoint] = response.status_code
    refused = {endpoint: code for endpoint, code in answers.items() if code != 400}
    assert not refused, f"POST routes that did not refuse a {token} CSRF token: {refused}"
    assert snapshot(app) == before


def test_anonymous_sign_in_and_sign_up_refuse_a_missing_csrf_token(app, client):
    customer = make_customer(app, "Casey Csrf")
    for url, data in (
        ("/auth/login", {"email": customer.email, "password": customer.password}),
        ("/auth/signup", {"full_name": "X", "email": "new@example.com"}),
        ("/auth/forgot", {"email": customer.email}),
    ):
        assert client.post(url, data=data).status_code == 400
    with client.session_transaction() as session:
        assert "_user_id" not in session


# Open redirects -------------------------------------------------------------------------
EVIL_NEXT = [
    "//evil.example",
    "https://evil.example",
    "http://evil.example/path",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "/\t/evil.example",
    "/%0a/evil.example",
    " //evil.example",
    "///evil.example",
    "data:text/html,<script>alert(1)</script>",
    "https:evil.example",
]


def _stays_on_site(location: str) -> bool:
    parts = urlsplit(location)
    if parts.scheme or parts.netloc:
        return parts.netloc in ("localhost", "") and parts.scheme in ("http", "https", "")
    return location.startswith("/") and not location.startswith(("//", "/\\"))


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_next_open_redirect_attempts_stay_on_site(app, client, target):
    customer = make_customer(app, "Nora Next")
    page = client.get("/auth/login", query_string={"next": target})
    assert page.status_code == 200
    response = submit(
        client,
        "/auth/login",
        {"email": customer.email, "password": customer.password, "next": target},
        form_url="/auth/login?next=x",
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert _stays_on_site(location), location
    assert "javascript" not in location.lower() and "data:" not in location


def test_a_local_next_is_still_honoured(app, client):
    customer = make_customer(app, "Lou Local")
    response = submit(
        client,
        "/auth/login",
        {"email": customer.email, "password": customer.password, "next": "/payees"},
    )
    assert response.headers["Location"].endswith("/payees")


# Injection and XSS --------------------------------------------------------------------
HOSTILE = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE users; --",
    "Robert'); DELETE FROM accounts;--",
    "{{ config.SECRET_KEY }}",
    '=HYPERLINK("http://evil.example")',
]


def _escaped_only(html: str, value: str) -> None:
    """The value never appears raw where it could become markup."""
    for dangerous in ("<script>alert", "<img src=x", "onerror=alert(1)>"):
        if dangerous in value:
            assert dangerous not in html
    assert "SECRET" not in html or "{{ config.SECRET_KEY }}" in value


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_memo_is_stored_literally_and_rendered_escaped(app, value):
    alice = make_customer(app, "Alice Able", balance="100.00")
    client = app.test_client()
    login_as(client, app, alice.id)
    assert (
        client.post(
            "/accounts/open",
            data={
                "csrf_token": page_csrf(client, "/accounts/open"),
                "kind": "savings",
                "currency": "USD",
                "nickname": value[:60],
            },
        ).status_code
        == 302
    )
    with app.app_context():
        savings = db.session.scalar(
            select(Account).where(Account.owner_id == alice.id, Account.id != alice.account_id)
        )
        assert savings.nickname == value[:60]
        savings_id = savings.id
        db.session.remove()
    attempt = own_transfer(client, alice.account_id, savings_id, "1.00", memo=value)
    assert attempt.result.status_code == 302
    with app.app_context():
        memos = db.session.scalars(select(JournalTransaction.memo)).all()
        assert value in memos
        db.session.remove()
    for url in (
        "/",
        f"/accounts/{alice.account_id}/history",
        f"/accounts/{savings_id}/settings",
        attempt.result.headers["Location"],
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        _escaped_only(response.get_data(as_text=True), value)
    history = client.get(f"/accounts/{alice.account_id}/history")
    assert "&lt;script&gt;" in history.get_data(as_text=True) or "<script>" not in value
    export = client.get(f"/accounts/{alice.account_id}/history/export.csv")
    assert export.status_code == 200
    cells = [cell for row in csv.reader(io.StringIO(export.get_data(as_text=True))) for cell in row]
    expected = "'" + value if value.startswith("=") else value
    assert expected in cells


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_payee_nickname_and_full_name_are_stored_literally_and_escaped(app, value):
    alice = make_customer(app, "Alice Able")
    bob = make_customer(app, "Bob Baker")
    client = app.test_client()
    login_as(client, app, alice.id)
    saved = submit(client, "/payees", {"nickname": value, "account_number": bob.account_number})
    assert saved.status_code == 302
    renamed = submit(client, "/auth/profile/name", {"full_name": value}, form_url="/auth/profile")
    assert renamed.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Payee.nickname)) == value
        assert db.session.get(User, alice.id).full_name == value
        db.session.remove()
    for url in ("/payees", "/auth/profile", "/", "/transfers/pay"):
        response = client.get(url)
        assert response.status_code == 200, url
        _escaped_only(response.get_data(as_text=True), value)
    # Bob sees Alice's (masked) name on a transfer to him; the admin sees it in full.
    from tests.builders import make_admin

    admin = make_admin(app)
    admin_client = app.test_client()
    login_as(admin_client, app, admin.id)
    for url in ("/admin/users", f"/admin/users/{alice.id}", "/admin/audit"):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        _escaped_only(response.get_data(as_text=True), value)
    audit = admin_client.get("/admin/audit.csv")
    assert audit.status_code == 200
    assert "<script>alert" not in audit.get_data(as_text=True) or value.startswith("<")


def test_hostile_full_name_at_sign_up_is_stored_literally(app, client):
    value = "<b>Mallory</b> '; DROP TABLE users; --"
    response = submit(
        client,
        "/auth/signup",
        {
            "full_name": value,
            "email": "mallory@example.com",
            "password": "a perfectly long passphrase 42",
            "confirm": "a perfectly long passphrase 42",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        assert (
            db.session.scalar(select(User.full_name).where(User.email == "mallory@example.com"))
            == value
        )
        db.session.remove()
    profile = client.get("/auth/profile").get_data(as_text=True)
    assert "&lt;b&gt;Mallory&lt;/b&gt;" in profile and "<b>Mallory</b>" not in profile


def test_sql_injection_in_the_sign_in_email_is_just_a_wrong_login(app, client):
    make_customer(app, "Sam Sql", email="sam@example.com")
    for email in ("' OR '1'='1", "sam@example.com' --", "sam@example.com'; DROP TABLE users;--"):
        response = submit(client, "/auth/login", {"email": email, "password": "x' OR '1'='1"})
        assert response.status_code in (200, 400)
        with client.session_transaction() as session:
            assert "_user_id" not in session
    with app.app_context():
        assert db.session.scalar(select(User.email)) == "sam@example.com"
        db.session.remove()


def test_pay_form_account_number_injection_is_a_form_error(app):
    alice = make_customer(app, "Alice Able", balance="10.00")
    client = app.test_client()
    login_as(client, app, alice.id)
    before = snapshot(app)
    attempt = start_transfer(
        client,
        "pay",
        {"from_account": alice.account_id, "account_number": "1' OR '1'='1", "amount": "1.00"},
    )
    assert attempt.entry.status_code == 400
    assert not form_fields(attempt.entry.get_data(as_text=True), "/transfers/confirm")
    assert snapshot(app) == before


# Over-size bodies ---------------------------------------------------------------------
def test_over_size_bodies_get_413(app, client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit and limit <= 1024 * 1024
    token = page_csrf(client)
    big = "x" * (limit + 1)
    for url in ("/auth/login", "/auth/signup", "/transfers/confirm", "/payees"):
        response = client.post(url, data={"csrf_token": token, "memo": big})
        assert response.status_code == 413, url
        assert "too large" in response.get_data(as_text=True).lower()
    raw = client.post(
        "/auth/login", data=b"a" * (limit + 1), content_type="application/octet-stream"
    )
    assert raw.status_code == 413


# NUL bytes ------------------------------------------------------------------------------
def test_nul_bytes_anywhere_are_a_400_not_a_database_error(app):
    """PostgreSQL text can't hold NUL: found as a 500 on sign-in by the property tests."""
    alice = make_customer(app, "Alice Able", balance="10.00")
    bob = make_customer(app, "Bob Baker")
    before = snapshot(app)
    anonymous = app.test_client()
    assert submit(anonymous, "/auth/login", {"email": "\x00", "password": "x"}).status_code == 400
    client = app.test_client()
    login_as(client, app, alice.id)
    saved = submit(client, "/payees", {"nickname": "Bo\x00b", "account_number": bob.account_number})
    assert saved.status_code == 400
    history = client.get(f"/accounts/{alice.account_id}/history", query_string={"q": "a\x00"})
    assert history.status_code == 400
    assert client.get("/auth/reset/abc%00def").status_code == 400
    assert snapshot(app) == before
