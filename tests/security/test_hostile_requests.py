"""CSRF on every POST route, open-redirect attempts, injection strings, over-size bodies.

The POST routes are read from the URL map, so a new form is covered the day it lands.
Injection strings go into every free-text field a person types (memos, schedule memos,
nicknames, names, admin reasons) and every search box that is reflected back; each is
stored literally, shown escaped wherever it appears (the customer's pages, the
recipient's, the admin's) and written to CSV as text (formulas neutralised).
"""

from __future__ import annotations

import csv
import html as html_lib
import io
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from markupsafe import escape
from sqlalchemy import select

from banking.core.csv_export import FORMULA_PREFIXES
from banking.core.models import (
    Account,
    AuditEvent,
    JournalTransaction,
    Payee,
    ScheduledTransfer,
    User,
)
from banking.extensions import db
from tests.security.world import assert_unchanged, build_world, page_csrf, snapshot
from tests.support.admin import HIDDEN
from tests.support.builders import make_admin, make_customer
from tests.support.forms import submit
from tests.support.ledger import send
from tests.support.sessions import login_as
from tests.support.signup import sign_up_and_sign_in
from tests.support.transfers import form_fields, own_transfer, pay, start_transfer


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
    assert_unchanged(app, before, token)


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


def _escaped_only(html: str, value: str, secret: str | None = None) -> None:
    """The value never appears raw where it could become markup, nor evaluated."""
    for dangerous in ("<script>alert", "<img src=x", "onerror=alert(1)>"):
        if dangerous in value:
            assert dangerous not in html
    assert "SECRET" not in html or "{{ config.SECRET_KEY }}" in value
    if secret:
        assert secret not in html


def _shows_escaped(response, value: str, where: str = "", secret: str | None = None) -> None:
    """The page answered 200 and shows `value` as text: escaped, whole, not evaluated."""
    assert response.status_code == 200, (where, response.status_code)
    html = response.get_data(as_text=True)
    _escaped_only(html, value, secret)
    assert str(escape(value)) in html, f"{value!r} is not shown, escaped, on {where}"


def _csv_cells(response) -> list[str]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = csv.reader(io.StringIO(response.get_data(as_text=True)))
    return [cell for row in rows for cell in row]


def _as_csv_text(value: str) -> str:
    """How a cell holding `value` must read: literally, a formula prefixed with a quote."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _no_live_formula(cells: list[str]) -> None:
    """Every cell a spreadsheet would run as a formula was neutralised by the export."""
    live = [cell for cell in cells if cell.startswith(FORMULA_PREFIXES)]
    assert not live, live


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
    admin = make_admin(app)
    admin_client = app.test_client()
    login_as(admin_client, app, admin.id)
    for url in ("/admin/users", f"/admin/users/{alice.id}", "/admin/audit"):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        _escaped_only(response.get_data(as_text=True), value)
    # The audit export lists what Alice did (the hostile text isn't in these events'
    # details; the admin-reason test covers text that is), and nothing in it is a formula.
    audit = admin_client.get("/admin/audit.csv")
    rows = list(csv.DictReader(io.StringIO(audit.get_data(as_text=True))))
    assert audit.status_code == 200 and audit.mimetype == "text/csv"
    by_alice = {row["action"] for row in rows if row["actor_email"] == alice.email}
    assert {"payee.added", "auth.name_change"} <= by_alice, rows
    _no_live_formula(_csv_cells(audit))


def _signed_in(app, user_id: int):
    client = app.test_client()
    login_as(client, app, user_id)
    return client


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_memo_reaches_the_recipient_and_the_admin_escaped_and_csv_literally(app, value):
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    alice_client, bob_client = _signed_in(app, alice.id), _signed_in(app, bob.id)
    admin_client = _signed_in(app, make_admin(app).id)
    secret = app.config["SECRET_KEY"]

    attempt = pay(alice_client, alice.account_id, bob.account_number, "3.00", memo=value)
    assert attempt.result.status_code == 302
    with app.app_context():
        assert db.session.get(JournalTransaction, attempt.transaction_id).memo == value
        db.session.remove()

    for client, url in (
        (bob_client, f"/accounts/{bob.account_id}/history"),
        (bob_client, f"/accounts/{bob.account_id}/statement"),
        (admin_client, "/admin/journal"),
        (admin_client, f"/admin/journal/{attempt.transaction_id}"),
        (admin_client, f"/admin/accounts/{bob.account_id}"),
        (admin_client, f"/admin/users/{alice.id}"),
    ):
        _shows_escaped(client.get(url), value, url, secret)
    for client, account_id in ((alice_client, alice.account_id), (bob_client, bob.account_id)):
        for export in ("history/export.csv", "statement.csv"):
            cells = _csv_cells(client.get(f"/accounts/{account_id}/{export}"))
            assert _as_csv_text(value) in cells, (export, cells)
            _no_live_formula(cells)


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_schedule_memo_is_stored_literally_and_escaped_up_to_the_transfer(app, value):
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    client, bob_client = _signed_in(app, alice.id), _signed_in(app, bob.id)
    tomorrow = date.today() + timedelta(days=1)
    created = submit(
        client,
        "/schedules/new",
        {
            "from_account": alice.account_id,
            "to_account": "",
            "account_number": bob.account_number,
            "amount": "2.00",
            "memo": value,
            "frequency": "once",
            "start_on": tomorrow.isoformat(),
            "day_of_month": "",
            "end_on": "",
        },
    )
    assert created.status_code == 302, created.get_data(as_text=True)[-2000:]
    with app.app_context():
        assert db.session.scalar(select(ScheduledTransfer.memo)) == value
        db.session.remove()
    _shows_escaped(client.get("/schedules"), value, "/schedules", app.config["SECRET_KEY"])

    ran = app.test_cli_runner().invoke(args=["transfers", "run-due", "--date", str(tomorrow)])
    assert ran.exit_code == 0, ran.output
    with app.app_context():
        assert value in db.session.scalars(select(JournalTransaction.memo)).all()
        db.session.remove()
    history = f"/accounts/{bob.account_id}/history"
    _shows_escaped(bob_client.get(history), value, history, app.config["SECRET_KEY"])
    cells = _csv_cells(bob_client.get(f"{history}/export.csv"))
    assert _as_csv_text(value) in cells


def _admin_act(admin_client, url: str, data: dict, value: str, secret: str) -> None:
    """An admin action with a hostile reason: the confirm page shows it escaped and carries
    it in a hidden field unchanged; confirming it acts (a redirect with a success flash)."""
    token = page_csrf(admin_client, url)
    confirm = admin_client.post(url, data={"csrf_token": token, **data})
    _shows_escaped(confirm, value, f"confirm page of {url}", secret)
    fields = {name: html_lib.unescape(v) for name, v in HIDDEN.findall(confirm.get_data(True))}
    assert fields.get("confirmed") == "yes" and fields.get("reason") == value, fields
    done = admin_client.post(url, data=fields)
    assert done.status_code == 302, (url, done.status_code)
    flashes = admin_client.get(done.headers["Location"]).get_data(as_text=True)
    assert "flash-success" in flashes, flashes[-2000:]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_admin_reasons_are_stored_literally_and_rendered_escaped(app, value):
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker", balance="10.00")
    payment = send(app, alice.account_id, bob.account_id, 500, initiator_id=alice.id, memo="Tea")
    admin_client = _signed_in(app, make_admin(app).id)
    alice_client, bob_client = _signed_in(app, alice.id), _signed_in(app, bob.id)
    secret = app.config["SECRET_KEY"]
    account_url = f"/admin/accounts/{alice.account_id}"

    # Adjustment: the reason is the entry's memo. Reversal: "Reversal of #n: <reason>".
    adjust = {"direction": "credit", "amount": "1.00", "reason": value}
    _admin_act(admin_client, f"{account_url}/adjust", adjust, value, secret)
    reverse_url = f"/admin/journal/{payment.transaction_id}/reverse"
    _admin_act(admin_client, reverse_url, {"reason": value}, value, secret)
    reversal_memo = f"Reversal of #{payment.transaction_id}: {value}"[:140]
    with app.app_context():
        memos = db.session.scalars(select(JournalTransaction.memo)).all()
        reversal_id = db.session.scalar(
            select(JournalTransaction.id).where(JournalTransaction.reverses_id.isnot(None))
        )
        db.session.remove()
    assert value in memos and reversal_memo in memos
    for client, account_id, memo in (
        (alice_client, alice.account_id, value),
        (alice_client, alice.account_id, reversal_memo),
        (bob_client, bob.account_id, reversal_memo),  # the recipient of the reversed payment
    ):
        _shows_escaped(client.get(f"/accounts/{account_id}/history"), memo, "history", secret)
        cells = _csv_cells(client.get(f"/accounts/{account_id}/statement.csv"))
        assert _as_csv_text(memo) in cells, cells
        _no_live_formula(cells)
    for url, memo in (
        ("/admin/journal", reversal_memo),
        (f"/admin/journal/{reversal_id}", reversal_memo),
        (account_url, value),
    ):
        _shows_escaped(admin_client.get(url), memo, url, secret)

    # Freeze: the reason is kept on the account and shown to the admin and the customer.
    _admin_act(admin_client, f"{account_url}/freeze", {"reason": value}, value, secret)
    for client, url in (
        (admin_client, account_url),
        (alice_client, "/"),
        (alice_client, f"/accounts/{alice.account_id}/settings"),
    ):
        _shows_escaped(client.get(url), value, url, secret)

    # Lock (last: it signs Alice out): kept on the user, shown on the admin's user page.
    user_url = f"/admin/users/{alice.id}"
    _admin_act(admin_client, f"{user_url}/lock", {"reason": value}, value, secret)
    _shows_escaped(admin_client.get(user_url), value, user_url, secret)

    with app.app_context():
        assert db.session.get(Account, alice.account_id).status_reason == value
        assert db.session.get(User, alice.id).locked_reason == value
        reasons = [
            event.details.get("reason")
            for event in db.session.scalars(select(AuditEvent)).all()
            if event.action.startswith("admin.")
        ]
        db.session.remove()
    assert reasons.count(value) == 4, reasons  # adjustment, reversal, freeze, lock
    _shows_escaped(admin_client.get("/admin/audit"), value, "/admin/audit", secret)
    audit_cells = _csv_cells(admin_client.get("/admin/audit.csv"))
    assert sum(f"reason={value}" in cell for cell in audit_cells) == 4, audit_cells
    _no_live_formula(audit_cells)


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_search_text_is_reflected_escaped(app, value):
    alice = make_customer(app, "Alice Able", balance="10.00")
    client = _signed_in(app, alice.id)
    admin_client = _signed_in(app, make_admin(app).id)
    secret = app.config["SECRET_KEY"]
    before = snapshot(app)
    history = f"/accounts/{alice.account_id}/history"
    page = client.get(history, query_string={"q": value})
    _shows_escaped(page, value, "history search", secret)
    assert "No transactions match." in page.get_data(as_text=True)  # searched, found nothing
    export = client.get(f"{history}/export.csv", query_string={"q": value})
    assert _csv_cells(export)[:1] == ["Date (UTC)"]
    for url, field in (
        ("/admin/users", "q"),
        ("/admin/accounts", "q"),
        ("/admin/audit", "actor"),
        ("/admin/audit", "action"),
    ):
        response = admin_client.get(url, query_string={field: value})
        _shows_escaped(response, value, f"{url}?{field}=", secret)
    assert_unchanged(app, before, value)


def test_hostile_full_name_at_sign_up_is_stored_literally(app, client):
    value = "<b>Mallory</b> '; DROP TABLE users; --"
    password = "a perfectly long passphrase 42"
    sign_up_and_sign_in(
        client, "mallory@example.com", full_name=value, password=password, confirm=password
    )
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
    assert_unchanged(app, before)


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
    assert_unchanged(app, before)
