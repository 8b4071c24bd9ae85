"""Property tests: hostile text in every money and identity form never breaks anything.

`parse_amount` only ever raises InvalidAmount and only returns cents in range. Each form
(transfer entry and confirm, payee, schedule, sign-up, name, password) answers 200, 302
or 400 to arbitrary unicode, control characters, NUL bytes, 10 kB strings and numbers in
every notation, never a 500; and when it refuses, the database is exactly as it was
(every row and column of every table a form can write, see `world.snapshot`) and the
page says why (a field error or the form's summary; a NUL byte gets the plain 400 page).
Each field is sometimes a *valid* value, so hostile text also reaches the database
beside otherwise-good input (a NUL byte in a memo that would be accepted, say).
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from banking.core.money import MAX_AMOUNT_MINOR, InvalidAmount, parse_amount
from banking.extensions import limiter
from tests.security.world import assert_unchanged, build_world, snapshot
from tests.support.forms import csrf_from
from tests.support.sessions import login_as

FORM_SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
OK_STATUSES = (200, 302, 400)

NOTATIONS = [
    "1e3",
    "1E-2",
    "0x10",
    "0b101",
    "0o17",
    "1_000",
    "١٢٣",
    "１２",
    "½",
    "²",
    "٫5",
    "1,000.00",
    "1.000,00",
    "  5  ",
    "5.",
    ".5",
    "-0",
    "+5",
    "-5",
    "NaN",
    "-Infinity",
    "inf",
    "0.001",
    "0.00",
    "00000000000000000000001",
    "9" * 40,
    "1" + "0" * 400,
    "12.345",
    "1 000",
    "1\u00a0000",
    "5\x00",
    "\x00",
    "$5",
    "5 USD",
    "€5",
    "5-",
    "1/2",
    "0e0",
    "1e999999",
    "(5)",
]
LONG_TEXT = st.builds(lambda c, n: c * n, st.characters(), st.integers(9_000, 10_240))
CONTROL = st.text(st.characters(max_codepoint=0x1F), min_size=1, max_size=20)
HOSTILE = st.one_of(
    st.text(max_size=60),
    CONTROL,
    st.text(st.characters(codec="utf-8"), max_size=200),
    LONG_TEXT,
    st.sampled_from(NOTATIONS),
    st.integers().map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
    st.builds(lambda a, b: f"{a}{b}", st.sampled_from(["Memo ", "ok", ""]), CONTROL),
)


def field(*valid: str):
    """Mostly hostile, sometimes a value that passes, so hostile text meets the database."""
    return st.one_of(HOSTILE, st.sampled_from(list(valid))) if valid else HOSTILE


# parse_amount ------------------------------------------------------------------------
@given(st.one_of(HOSTILE, st.none()))
@settings(max_examples=400, deadline=None)
@example("0.01")
@example("10000000000.00")
@example("10000000000.01")
def test_parse_amount_raises_only_invalid_amount_and_returns_cents_in_range(text):
    try:
        value = parse_amount(text)
    except InvalidAmount as exc:
        assert exc.message
        return
    assert type(value) is int
    assert 1 <= value <= MAX_AMOUNT_MINOR


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10000000000"), places=2))
@settings(max_examples=200, deadline=None)
def test_parse_amount_reads_every_plain_two_place_amount_exactly(amount):
    assert parse_amount(f"{amount:f}") == int(amount * 100)
    assert parse_amount(f"{amount:,.2f}") == int(amount * 100)


# Forms --------------------------------------------------------------------------------
class Visitor:
    """One signed-in customer (or anonymous) client, posting with a valid CSRF token."""

    def __init__(self, app, user_id: int | None) -> None:
        self.app = app
        self.client = app.test_client()
        if user_id is not None:
            login_as(self.client, app, user_id)
        self.token = csrf_from(
            self.client.get("/auth/profile" if user_id else "/auth/login").get_data(as_text=True)
        )

    def post(self, url: str, data: dict, *, not_found_ok: bool = False):
        with self.app.app_context():
            limiter.reset()  # the sign-up/sign-in limits are not what is tested here
        response = self.client.post(url, data={"csrf_token": self.token, **data})
        allowed = (*OK_STATUSES, 404) if not_found_ok else OK_STATUSES
        assert response.status_code in allowed, (url, response.status_code, data)
        return response


@pytest.fixture
def world(app):
    """Built once per test (fixtures run once, not per example): examples share it."""
    return build_world(app)


# What a refusal must show: a field's error, the form's summary, or an error message.
FORM_ERROR = re.compile(r'class="(?:field-error|form-summary|flash flash-error)\b')
# A NUL byte is refused before any form sees it (banking/web/security.py), with this page.
NUL_REFUSAL = "We couldn&#39;t understand that request."
# The entry forms answer a valid submission with the confirm page: 200, nothing written.
CONFIRM_STEP = 'action="/transfers/confirm"'


def check(app, visitor: Visitor, url: str, data: dict, *, ignore=None, own_ids=None) -> None:
    """Post `data`: accepted (302, or the confirm step), or refused with the reason shown
    and the database exactly as before (but for `ignore`d columns).

    `own_ids` maps a field that names one of the visitor's objects to the ids that are
    theirs: any other id there is someone else's (or no one's) and answers 404, as every
    lookup of another customer's object does — with nothing changed."""
    before = snapshot(app)
    foreign = any(
        str(data.get(name, "")).strip().isdigit() and str(data[name]).strip() not in ids
        for name, ids in (own_ids or {}).items()
    )
    response = visitor.post(url, data, not_found_ok=foreign)
    if response.status_code == 302:
        return
    assert_unchanged(app, before, (url, data), ignore=ignore)
    if response.status_code == 404:
        return
    html = response.get_data(as_text=True)
    if response.status_code == 200 and CONFIRM_STEP in html:
        return
    if any("\x00" in str(value) for value in data.values()):
        assert response.status_code == 400 and NUL_REFUSAL in html, (url, data, html[-2000:])
        return
    assert FORM_ERROR.search(html), ("refused without saying why", url, data, html[-3000:])


@given(data=st.data())
@FORM_SETTINGS
def test_transfer_entry_and_confirm_forms_survive_hostile_input(app, world, data):
    alice = Visitor(app, world.a.customer.id)
    a, b = world.a, world.b
    own = {
        "from_account": data.draw(field(str(a.account_id), str(b.account_id))),
        "to_account": data.draw(field(str(a.account_id))),
        "amount": data.draw(field("1.00")),
        "memo": data.draw(field("Rent")),
        "idempotency_key": data.draw(field("k-1")),
    }
    check(app, alice, "/transfers/own", own)
    pay = {
        "from_account": data.draw(field(str(a.account_id))),
        "payee": data.draw(field("", str(a.payee_id), str(b.payee_id))),
        "account_number": data.draw(field(b.customer.account_number)),
        "amount": data.draw(field("0.01")),
        "memo": data.draw(field("")),
    }
    check(app, alice, "/transfers/pay", pay, own_ids={"payee": {str(a.payee_id)}})
    confirm = {
        "flow": data.draw(field("pay", "own")),
        "from_account": data.draw(field(str(a.account_id), str(b.account_id))),
        "to_number": data.draw(field(b.customer.account_number)),
        "amount": data.draw(field("0.01")),
        "memo": data.draw(field("Thanks")),
        "idempotency_key": data.draw(field("fixed-key")),
    }
    check(app, alice, "/transfers/confirm", confirm)


@given(data=st.data())
@FORM_SETTINGS
def test_payee_forms_survive_hostile_input(app, world, data):
    alice = Visitor(app, world.a.customer.id)
    payee = {
        "nickname": data.draw(field("Landlord")),
        "account_number": data.draw(field(world.b.customer.account_number)),
    }
    check(app, alice, "/payees", payee)
    rename = {"nickname": data.draw(field("Bob"))}
    check(app, alice, f"/payees/{world.a.payee_id}/rename", rename)
    check(app, alice, f"/accounts/{world.a.account_id}/rename", rename)
    opened = {
        "kind": data.draw(field("savings")),
        "currency": data.draw(field("USD")),
        "nickname": data.draw(field("Rainy day")),
    }
    check(app, alice, "/accounts/open", opened)


@given(data=st.data())
@FORM_SETTINGS
def test_schedule_form_survives_hostile_input(app, world, data):
    alice = Visitor(app, world.a.customer.id)
    schedule = {
        "from_account": data.draw(field(str(world.a.account_id))),
        "to_account": data.draw(field("")),
        "account_number": data.draw(field(world.b.customer.account_number)),
        "amount": data.draw(field("12.50")),
        "memo": data.draw(field("Allowance")),
        "frequency": data.draw(field("once", "weekly", "monthly")),
        "start_on": data.draw(field("2031-01-15", "2031-02-31", "9999-12-31", "0001-01-01")),
        "day_of_month": data.draw(field("", "31", "last")),
        "end_on": data.draw(field("", "2030-01-01")),
    }
    check(app, alice, "/schedules/new", schedule)


@given(data=st.data())
@FORM_SETTINGS
def test_sign_up_and_profile_forms_survive_hostile_input(app, world, data):
    password = "a perfectly long passphrase 42"
    email = data.draw(
        field(f"new.{data.draw(st.integers(0, 10**9))}@example.com", world.a.customer.email)
    )
    signup = {
        "full_name": data.draw(field("New Person")),
        "email": email,
        "password": data.draw(field(password)),
        "confirm": data.draw(field(password)),
    }
    check(app, Visitor(app, None), "/auth/signup", signup)
    # Bob is the guinea pig: a password change that succeeds would sign Alice's tests out.
    bob = Visitor(app, world.b.customer.id)
    check(app, bob, "/auth/profile/name", {"full_name": data.draw(field("Bob Baker"))})
    changed = {
        "current_password": data.draw(field("wrong password entirely")),
        "new_password": data.draw(field(password)),
        "confirm": data.draw(field(password)),
    }
    # A wrong current password counts toward the lockout, and the threshold-th one
    # signs Bob out everywhere (a new session token); nothing else may change.
    reauth_failures = {"users": {"failed_logins", "lockout_until", "session_token"}}
    check(app, bob, "/auth/profile/password", changed, ignore=reauth_failures)
    login = {"email": data.draw(field(world.a.customer.email)), "password": data.draw(field())}
    # A wrong password is meant to count towards the lockout; nothing else may change.
    failures = {"users": {"failed_logins", "lockout_until"}}
    check(app, Visitor(app, None), "/auth/login", login, ignore=failures)
