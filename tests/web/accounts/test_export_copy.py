"""The export by PostgreSQL's COPY writes exactly the bytes of the Python path.

PostgreSQL formats the CSV in SQL (`banking.core.history.copy_export`) while SQLite keeps
the Python rows (`iter_export_rows` + `iter_csv`): every rule — dates, kind labels,
counterparties, amounts, formula neutralization, quoting, line ends — lives twice, so
both run here over the same awkward data and every filter, and must agree byte for byte.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from banking.core import ledger
from banking.core.clock import SystemClock
from banking.core.csv_export import iter_csv
from banking.core.history import (
    EXPORT_HEADER,
    HistoryFilters,
    copy_export,
    iter_export_csv_copy,
    iter_export_rows,
)
from banking.extensions import db
from tests.support.builders import add_account, make_customer, set_status
from tests.support.ledger import adjust, execute, hold, send
from tests.support.sessions import login_as

T0 = datetime(2026, 3, 31, 22, 30, 15, 999_999, tzinfo=UTC)

MEMOS = [
    "",
    '=HYPERLINK("http://x")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\tTabbed",
    "\rCarriage",
    'Rent, "May"\nsecond line',
    "a\r\nb",
    "back\\slash \\n not a newline \\\\",
    "\\.",
    "\\N",
    "comma,",
    '"',
    "ünïcödé — 日本語 🎉",
    " leading space",
    "trailing tab\t",
    "\x0bvertical\x0cform\x08back\x01ctl",
    "50% off_now",
    "'already quoted",
    "line\u2028sep\x85nel",
]

EXTERNAL_MEMOS = [
    (-250, "withdrawal", "Card purchase — Corner Café"),
    (9_000, "deposit", 'Salary — Smith, "Jones" & Co'),
    (-1_000, "withdrawal", "Rent — =Evil Lettings"),
    (-3, "withdrawal", "Card purchase — "),  # names nobody: titled by its kind
    (4, "deposit", " — -leading"),
    (-5, "withdrawal", "a — b — c"),  # the first separator splits
    (6, "deposit", "no separator—here"),
    (7, "deposit", ""),
    (-8, "withdrawal", "Fee — line\nbreak\ttab"),
    (9, "interest", "Card purchase — not external"),  # kind is not where it comes from
    # Categories (banking/core/categories, mirrored in SQL by categories/sql.py):
    (-10, "withdrawal", "Card purchase —   Blue\u00a0 BOTTLE\tcoffee  "),  # key: whitespace, case
    (-11, "withdrawal", "Card purchase — Pizza Palace"),  # a merchant keyword
    (12, "deposit", "Annual bonus — Globex"),  # a word of the "what"
    (-13, "withdrawal", "Current costs — Somewhere"),  # "rent" inside a word: not Rent
    (-14, "withdrawal", "Card purchase — CAFÉ ÉLAN"),  # non-ASCII letters are not lowered
    (15, "deposit", "Monthly salary"),  # names nobody: the "what" alone
]
# The customer's rules, keyed as `categories.merchant_key` writes them.
OVERRIDES = {
    "blue bottle coffee": "bills",
    "pizza palace": "health",
    "cafÉ Élan": "rent",
    "corner café": "not-a-category",  # an unknown key is ignored, as in Python
}


@pytest.fixture
def tricky(app, monkeypatch):
    """Alice's account with every kind of counterparty and memo the export must render."""
    need_postgres()
    clock = iter(T0 + timedelta(hours=7 * i, microseconds=i) for i in range(1000))
    monkeypatch.setattr(SystemClock, "now", lambda self: next(clock))
    alice = make_customer(app, "Alice Able", balance="1000.00")
    names = [
        "Bob  Baker",
        "=cmd Evil",
        "Émile\u2003Zola\t",
        "   ",
        "Ōno\u00a0Yoko Ü",
        "x",
        "",
        "Jane Doe",
        "Ünal",
        "a b c",
        "Smith, John",
        '"Q" Name',
        "  +x y",
        "x ,y",
    ]
    others = [make_customer(app, f"Person {i}", balance="50.00") for i in range(len(names))]
    for other, name in zip(others, names, strict=True):
        execute(app, "UPDATE users SET full_name = :n WHERE id = :i", n=name, i=other.id)
    savings = add_account(app, alice.id, nickname='Rainy, "day"')
    unnamed = add_account(app, alice.id, nickname="Tmp")
    execute(app, "UPDATE accounts SET nickname = '' WHERE id = :i", i=unnamed)
    renamed = add_account(app, alice.id, nickname="=Old name")
    overdraft = add_account(app, alice.id, kind="checking", nickname="Over", overdraft=100_000)

    for i, memo in enumerate(MEMOS):
        target = others[i % len(others)].account_id
        send(app, alice.account_id, target, 100 + i * 37, memo=memo)
        send(app, target, alice.account_id, 3 + i, memo=memo[::-1])
    quoted = add_account(app, alice.id, nickname='Rainy, "day"\nfund')
    for account in (savings, unnamed, renamed, quoted):
        send(app, alice.account_id, account, 12_345, memo="to myself")
        send(app, account, alice.account_id, 5, memo="back")
    send(app, renamed, alice.account_id, 12_340, memo="closing")  # a closed account is empty
    set_status(app, renamed, "closed")
    execute(app, "UPDATE accounts SET nickname = 'Renamed' WHERE id = :i", i=savings)
    adjust(app, alice.account_id, -1, memo="fee", system_code=ledger.SUSPENSE)
    adjust(
        app,
        alice.account_id,
        99,
        memo="=interest",
        kind="interest",
        system_code=ledger.INTEREST_EXPENSE,
    )
    execute(
        app,
        "UPDATE accounts SET nickname = '' WHERE kind = 'system' AND system_code = :c",
        c=ledger.SUSPENSE,
    )
    execute(
        app,
        "UPDATE accounts SET nickname = '-Bank +ops' WHERE kind = 'system' AND system_code = :c",
        c=ledger.INTEREST_EXPENSE,
    )
    # Money from and to outside the bank: the merchant, employer or landlord in the memo
    # is the counterparty ("Card purchase — Corner Café" -> "Corner Café").
    for amount, kind, memo in EXTERNAL_MEMOS:
        adjust(
            app, alice.account_id, amount, memo=memo, kind=kind, system_code=ledger.EXTERNAL_CASH
        )
    # An overdrawn account: negative balances are neutralized ("'-12.34").
    send(app, overdraft, alice.account_id, 50_001, memo="overdrawn")
    hold(app, alice, others[0].account_id, 77)  # pending: not part of the export
    return {"alice": alice, "overdraft": overdraft, "bob": others[0]}


def need_postgres():
    from tests.support.services import TEST_DATABASE_URL, need_service

    need_service(TEST_DATABASE_URL.startswith("postgres"), "PostgreSQL (TEST_DATABASE_URL)")


def python_bytes(session, account_id, filters, tz, overrides=None) -> bytes:
    rows = iter_export_rows(session, account_id, filters, tz=tz, overrides=overrides)
    return "".join(iter_csv(EXPORT_HEADER, rows)).encode()


def copy_bytes(session, account_id, filters, tz, chunk_rows=None, overrides=None) -> bytes:
    return b"".join(
        iter_export_csv_copy(
            session, account_id, filters, tz=tz, chunk_rows=chunk_rows, overrides=overrides
        )
    )


FILTERS = [
    HistoryFilters(),
    HistoryFilters(direction="in"),
    HistoryFilters(direction="out"),
    HistoryFilters(min_amount=100, max_amount=5000),
    HistoryFilters(date_from=date(2026, 4, 2), date_to=date(2026, 4, 4)),
    HistoryFilters(date_to=date(2026, 4, 1)),
    HistoryFilters(text="b"),
    HistoryFilters(text="50%"),
    HistoryFilters(text="_"),
    HistoryFilters(text="renamed"),
    HistoryFilters(text="RAINY"),
    HistoryFilters(text='"'),
    HistoryFilters(text="nothing matches this"),
    HistoryFilters(direction="out", text="to myself", min_amount=1),
    HistoryFilters(category="dining"),
    HistoryFilters(category="bills"),
    HistoryFilters(category="other", direction="out"),
]


@pytest.mark.parametrize("tz", ["UTC", "America/New_York", "Asia/Tokyo"])
def test_copy_export_matches_the_python_export_for_every_filter(app, tricky, tz):
    alice = tricky["alice"]
    with app.app_context():
        session = db.session
        bob_digits = tricky["bob"].account_number[-4:]
        for filters in [*FILTERS, HistoryFilters(text=bob_digits)]:
            expected = python_bytes(session, alice.account_id, filters, tz)
            assert copy_bytes(session, alice.account_id, filters, tz) == expected, filters
            assert copy_bytes(session, alice.account_id, filters, tz, chunk_rows=3) == expected
            for overrides in (OVERRIDES, {}):
                expected = python_bytes(session, alice.account_id, filters, tz, overrides)
                got = copy_bytes(session, alice.account_id, filters, tz, overrides=overrides)
                assert got == expected, (filters, overrides)
        full = python_bytes(session, alice.account_id, HistoryFilters(), tz)
        ruled = python_bytes(session, alice.account_id, HistoryFilters(), tz, OVERRIDES)
        overdrawn = copy_bytes(session, tricky["overdraft"], HistoryFilters(), tz)
        assert overdrawn == python_bytes(session, tricky["overdraft"], HistoryFilters(), tz)
        bob = tricky["bob"].account_id
        assert copy_bytes(session, bob, HistoryFilters(), tz) == python_bytes(
            session, bob, HistoryFilters(), tz
        )
        db.session.remove()
    # The data really is awkward: every memo, both kinds of line end, a negative balance.
    assert full.count(b"\r\n") > len(MEMOS) * 2
    assert b"'=HYPERLINK" in full
    # Every category rule was exercised: the rules moved rows, the defaults named them.
    for label in (b",Bills\r\n", b",Health\r\n", b",Rent\r\n", b",Salary\r\n"):
        assert label in ruled, label
    assert b",Dining\r\n" in full and b",Interest\r\n" in full and b",Fees\r\n" in full
    assert b"Another customer" in full
    assert b'"Your Rainy, ""day""\nfund' in full
    assert overdrawn.endswith(b",'-500.01,Transfers\r\n")
    assert b",Withdrawal,Corner Caf\xc3\xa9,Card purchase \xe2\x80\x94 Corner Caf" in full
    assert b',Deposit,"Smith, ""Jones"" & Co",' in full
    assert b",Withdrawal,'=Evil Lettings," in full
    assert b",Interest,The bank," in full


def test_copy_export_dates_are_utc_whatever_the_session_time_zone(app, tricky):
    alice = tricky["alice"]
    with app.app_context():
        db.session.execute(text("SET TIME ZONE 'Asia/Tokyo'"))
        got = copy_bytes(db.session, alice.account_id, HistoryFilters(), "UTC")
        expected = python_bytes(db.session, alice.account_id, HistoryFilters(), "UTC")
        db.session.remove()
    assert got == expected
    assert b"2026-03-31 22:30:15," in got  # microseconds cut, not rounded


def test_the_export_route_uses_copy_on_postgresql(app, client, tricky, monkeypatch):
    alice = tricky["alice"]
    used = []
    original = copy_export.iter_export_csv_copy
    monkeypatch.setattr(
        copy_export,
        "iter_export_csv_copy",
        lambda *a, **k: used.append(True) or original(*a, **k),
    )
    login_as(client, app, alice.id)

    response = client.get(f"/accounts/{alice.account_id}/history/export.csv?direction=out")

    assert response.status_code == 200
    assert used
    with app.app_context():
        expected = python_bytes(
            db.session, alice.account_id, HistoryFilters(direction="out"), "UTC"
        )
        db.session.remove()
    assert response.get_data() == expected


def test_a_client_leaving_mid_export_gives_the_connection_back(app, client, tricky, monkeypatch):
    """Closing the response part-way cancels the COPY; the pooled connection is usable."""
    alice = tricky["alice"]
    monkeypatch.setattr(copy_export, "COPY_CHUNK_ROWS", 2)
    login_as(client, app, alice.id)

    response = client.get(f"/accounts/{alice.account_id}/history/export.csv", buffered=False)
    chunks = iter(response.response)
    assert next(chunks).startswith(b"Date (UTC),")
    assert next(chunks).count(b"\r\n") >= 2
    response.close()  # what the WSGI server does when the socket write fails

    with app.app_context():
        assert db.engine.pool.checkedout() == 0
        copying = db.session.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY (%'"
                " AND state <> 'idle' AND pid <> pg_backend_pid()"
            )
        ).scalar()
        db.session.remove()
    assert copying == 0
    again = client.get(f"/accounts/{alice.account_id}/history/export.csv")
    assert again.status_code == 200
    assert again.get_data().startswith(b"Date (UTC),")
