"""Account history: newest first, running balance, pending on top, keyset pages, filters."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from banking.core import ledger
from banking.core.clock import SystemClock
from banking.core.history import Cursor, HistoryFilters, history_page
from banking.extensions import db
from tests.support.builders import make_customer
from tests.support.ledger import send
from tests.support.sessions import login_as

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    """Set the time the ledger stamps on entries: clock(datetime) (freezes the real clock)."""

    def set_time(when: datetime) -> None:
        monkeypatch.setattr(SystemClock, "now", lambda self: when)

    return set_time


def history(client, account_id, **params):
    response = client.get(f"/accounts/{account_id}/history", query_string=params)
    return response, response.get_data(as_text=True)


def test_history_lists_entries_newest_first_with_running_balance(app, client, clock):
    clock(T0 - timedelta(days=1))
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    clock(T0)
    send(app, alice.account_id, bob.account_id, 2500, initiator_id=alice.id, memo="Rent share")
    clock(T0 + timedelta(hours=1))
    send(app, bob.account_id, alice.account_id, 1000, initiator_id=bob.id, memo="Pizza back")
    login_as(client, app, alice.id)

    response, page = history(client, alice.account_id)

    assert response.status_code == 200
    assert page.index("Pizza back") < page.index("Rent share") < page.index("Test deposit")
    assert "+$10.00" in page and "−$25.00" in page and "+$100.00" in page
    assert "$85.00" in page and "$75.00" in page  # balance after each entry
    assert "Money in" in page and "Money out" in page  # a text cue, not colour alone
    # The sign and colour say in or out on screen: no bold "in"/"out" line under amounts.
    assert not re.search(r">\s*(in|out)\s*</div>", page)
    assert "B*** B***" in page  # the other customer, masked
    assert "Bob Baker" not in page


def test_history_shows_pending_transfer_on_top_outside_the_balance(app, client, clock):
    clock(T0 - timedelta(days=1))
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    clock(T0)
    send(
        app,
        alice.account_id,
        bob.account_id,
        6000,
        initiator_id=alice.id,
        memo="Big one",
        limits=ledger.Limits(review_threshold=5000),
    )
    login_as(client, app, alice.id)

    _response, page = history(client, alice.account_id)

    assert "Pending" in page
    assert page.index("Big one") < page.index("Test deposit")
    assert "not yet in balance" in page
    with app.app_context():
        result = history_page(db.session, alice.account_id)
    assert [row.amount for row in result.pending] == [-6000]
    assert [row.balance_after for row in result.rows] == [10000]


def test_memo_is_escaped(app, client):
    alice = make_customer(app, "Alice Able", balance="10.00")
    bob = make_customer(app, "Bob Baker")
    send(app, alice.account_id, bob.account_id, 100, memo="<script>alert(1)</script>")
    login_as(client, app, alice.id)

    _response, page = history(client, alice.account_id)

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_pages_walk_the_history_with_a_cursor_without_gaps_or_repeats(app, client, clock):
    clock(T0 - timedelta(days=1))
    alice = make_customer(app, "Alice Able", balance="1000.00")
    bob = make_customer(app, "Bob Baker")
    for number in range(30):
        clock(T0 + timedelta(minutes=number))
        send(app, alice.account_id, bob.account_id, 100, memo=f"payment-{number:02d}")
    login_as(client, app, alice.id)

    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params = {"cursor": cursor} if cursor else {}
        _response, page = history(client, alice.account_id, **params)
        seen += re.findall(r"payment-\d\d", page)
        match = re.search(r'href="[^"]*cursor=([^"&]+)[^"]*">Older', page)
        if not match:
            break
        cursor = match.group(1)

    assert seen == [f"payment-{n:02d}" for n in reversed(range(30))]


def test_same_timestamp_entries_are_split_by_id_across_pages(app, clock):
    clock(T0)
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    clock(T0)
    for _ in range(5):
        send(app, alice.account_id, bob.account_id, 100)
    with app.app_context():
        first = history_page(db.session, alice.account_id, page_size=3)
        second = history_page(
            db.session, alice.account_id, cursor=Cursor.decode(first.next_cursor), page_size=3
        )
    ids = [r.entry_id for r in first.rows + second.rows]
    assert len(ids) == len(set(ids)) == 6  # five transfers and the deposit
    assert second.next_cursor is None


@pytest.mark.parametrize(
    "garbage",
    [
        "x",
        "!!!",
        "A" * 200,
        "MTIzNA",
        "OTk5OTk5OTk5OTk5OTk5OTk5OS4x",
        "MTcwMDAwMDAwMDAwMDAwMC45OTk5OTk5OTk5OTk5OTk5OTk5",
    ],
)
def test_garbage_cursor_shows_the_first_page(app, client, garbage):
    alice = make_customer(app, "Alice Able", balance="10.00")
    login_as(client, app, alice.id)

    response, page = history(client, alice.account_id, cursor=garbage)

    assert response.status_code == 200
    assert "Test deposit" in page
    assert "Newest transactions" not in page  # it is page 1, and says so


def test_cursor_round_trips():
    cursor = Cursor(T0 + timedelta(microseconds=17), 42)
    assert Cursor.decode(cursor.encode()) == cursor


def test_filters_by_direction_amount_date_and_text(app, client, clock):
    clock(T0 - timedelta(days=1))
    alice = make_customer(app, "Alice Able", balance="500.00")
    bob = make_customer(app, "Bob Baker", balance="500.00")
    clock(T0)
    send(app, alice.account_id, bob.account_id, 1500, memo="Grocery run")
    clock(T0 + timedelta(days=2))
    send(app, bob.account_id, alice.account_id, 4000, memo="Refund 50% off")
    clock(T0 + timedelta(days=4))
    send(app, alice.account_id, bob.account_id, 9900, memo="Concert")
    login_as(client, app, alice.id)

    _r, page = history(client, alice.account_id, direction="out")
    assert "Grocery run" in page and "Concert" in page and "Refund" not in page

    _r, page = history(client, alice.account_id, min_amount="20", max_amount="50")
    assert "Refund" in page and "Grocery run" not in page and "Concert" not in page

    _r, page = history(client, alice.account_id, date_from="2026-03-11", date_to="2026-03-13")
    assert "Refund" in page and "Grocery run" not in page and "Concert" not in page

    _r, page = history(client, alice.account_id, q="concert")
    assert "Concert" in page and "Grocery run" not in page

    _r, page = history(client, alice.account_id, q="50%")  # LIKE wildcards are literal
    assert "Refund" in page and "Concert" not in page

    _r, page = history(client, alice.account_id, q=bob.account_number[-4:])
    assert "Grocery run" in page and "Test deposit" not in page


def test_text_filter_does_not_search_another_customers_hidden_name(app, clock):
    alice = make_customer(app, "Alice Able", balance="50.00")
    bob = make_customer(app, "Bob Baker")
    send(app, alice.account_id, bob.account_id, 100, memo="lunch")
    with app.app_context():
        result = history_page(db.session, alice.account_id, HistoryFilters(text="Baker"))
    assert result.rows == []


@pytest.mark.parametrize(
    "params",
    [
        {"min_amount": "abc"},
        {"max_amount": "-5"},
        {"min_amount": "1e3"},
        {"min_amount": "10", "max_amount": "5"},
        {"date_from": "2026-13-45"},
        {"date_from": "2026-03-10", "date_to": "2026-03-01"},
        {"direction": "sideways"},
        {"q": "x" * 101},
    ],
)
def test_bad_filter_input_is_a_form_error_not_a_crash(app, client, params):
    alice = make_customer(app, "Alice Able", balance="10.00")
    login_as(client, app, alice.id)

    response, page = history(client, alice.account_id, **params)

    assert response.status_code == 400
    assert "field-error" in page
    assert "Correct the filters" in page


def test_another_customers_history_is_not_found(app, client):
    alice = make_customer(app, "Alice Able", balance="10.00")
    mallory = make_customer(app, "Mallory Mean")
    login_as(client, app, mallory.id)

    response, page = history(client, alice.account_id)

    assert response.status_code == 404
    assert "Test deposit" not in page


def test_history_requires_sign_in(app, client):
    alice = make_customer(app, "Alice Able")
    response = client.get(f"/accounts/{alice.account_id}/history")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_history_page_uses_the_keyset_index(app, requires_postgres):
    """On PostgreSQL, a deep page is an index range scan on (account_id, created_at, id)."""
    from sqlalchemy import text, tuple_

    from banking.core.history import entries_select
    from banking.core.models import Entry

    alice = make_customer(app, "Alice Able", balance="10.00")
    with app.app_context():
        stmt = (
            entries_select(alice.account_id, HistoryFilters())
            .where(tuple_(Entry.created_at, Entry.id) < tuple_(T0, 10**9))
            .limit(26)
        )
        compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
        with db.engine.connect() as conn:
            # A test table is tiny, so make the planner show the plan a big one gets.
            for setting in ("enable_seqscan", "enable_sort", "enable_bitmapscan"):
                conn.execute(text(f"SET LOCAL {setting} = off"))
            plan = "\n".join(row[0] for row in conn.execute(text(f"EXPLAIN {compiled}")))
            conn.rollback()
    assert "Index Scan Backward using ix_entries_account_created_id" in plan
    assert "Sort" not in plan  # rows come off the index in page order; nothing is sorted
