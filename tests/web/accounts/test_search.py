"""Search across a customer's accounts, through HTTP: matches, scoping, pages, bad input."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from banking.core.clock import SystemClock
from banking.core.pagination import Cursor
from banking.core.search import queries as search_queries
from banking.extensions import db
from tests.support.builders import add_account, make_admin, make_customer
from tests.support.ledger import hold, send
from tests.support.sessions import login_as
from tests.support.statements import counting_queries

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
# +1 since issue 17: the customer's category rules (one indexed read).
SEARCH_QUERIES = {"postgresql": 5, "sqlite": 6}


@pytest.fixture
def clock(monkeypatch):
    def set_time(when: datetime) -> None:
        monkeypatch.setattr(SystemClock, "now", lambda self: when)

    return set_time


def search(client, **params):
    response = client.get("/search", query_string=params)
    return response, response.get_data(as_text=True)


def titles(page: str) -> list[str]:
    return re.findall(r'<strong class="row-title">([^<]*)</strong>', page)


@pytest.fixture
def people(app, client, clock):
    """Alice (checking + a savings account named "Rainy day") and Bob, three movements."""
    clock(T0 - timedelta(days=1))
    alice = make_customer(app, "Alice Able", balance="500.00")
    bob = make_customer(app, "Bob Baker", balance="500.00")
    savings = add_account(app, alice.id, nickname="Rainy day")
    clock(T0)
    send(app, alice.account_id, bob.account_id, 4250, memo="Blue Bottle Coffee")
    clock(T0 + timedelta(days=2))
    send(app, bob.account_id, alice.account_id, 1000, memo="Pizza back")
    clock(T0 + timedelta(days=3))
    send(app, alice.account_id, savings, 2000, memo="Put aside")
    login_as(client, app, alice.id)
    return alice, bob, savings


def test_words_match_the_memo_across_accounts(people, client):
    response, page = search(client, q="coffee")
    assert response.status_code == 200
    assert "Blue Bottle Coffee" in page and "Pizza back" not in page
    assert "B*** B***" in page  # the counterparty reads as in history (masked)


def test_words_match_the_customers_own_account_nickname(people, client):
    _r, page = search(client, q="rainy")
    # The checking side's counterparty is "Rainy day" (the savings side's is checking).
    assert page.count("Put aside") == 1 and "−$20.00" in page


def test_another_customers_name_is_not_searchable(people, client):
    _r, page = search(client, q="Baker")
    assert "Blue Bottle" not in page and "Nothing matches" in page


def test_an_amount_matches_its_size_in_or_out(people, client):
    _r, page = search(client, q="42.50")
    assert "Blue Bottle Coffee" in page and "Pizza back" not in page
    _r, page = search(client, q="$10")
    assert "Pizza back" in page and "Blue Bottle" not in page


def test_a_day_finds_that_days_movements_in_either_format(people, client):
    for typed in ("2026-03-12", "Mar 12, 2026"):
        _r, page = search(client, q=typed)
        assert "Pizza back" in page and "Blue Bottle" not in page and "Put aside" not in page


def test_results_are_grouped_by_day_newest_first(app, client, clock):
    clock(T0 - timedelta(days=1))
    alice = make_customer(app, "Alice Able", balance="500.00")
    bob = make_customer(app, "Bob Baker")
    midnight = datetime(2026, 3, 10, tzinfo=UTC)
    for day, hour in ((0, 9), (0, 13), (2, 12), (5, 8)):
        clock(midnight + timedelta(days=day, hours=hour))
        send(app, alice.account_id, bob.account_id, 100, memo=f"Lunch d{day}h{hour}")
    login_as(client, app, alice.id)

    _r, page = search(client, q="lunch")

    days = re.findall(r'<th scope="rowgroup" colspan="4"><time datetime="([\d-]+)">', page)
    assert days == ["2026-03-15", "2026-03-12", "2026-03-10"]
    found = re.findall(r"Lunch d\dh\d+", page)
    assert found == ["Lunch d5h8", "Lunch d2h12", "Lunch d0h13", "Lunch d0h9"]


def test_declined_transfers_read_as_in_history(app, client, clock):
    alice = make_customer(app, "Alice Able", balance="500.00")
    bob = make_customer(app, "Bob Baker")
    result = hold(app, alice, bob.account_id, 3000)
    admin = make_admin(app)
    from banking.services.actor import Actor
    from banking.services.admin import money as money_actions

    with app.app_context():
        money_actions.reject(result.transaction_id, actor=Actor.web(admin.id), reason="Odd")
        db.session.remove()
    login_as(client, app, alice.id)

    _r, page = search(client, q="30.00")
    assert "Declined — not sent" in page and "Reason:" in page
    _r, page = search(client, q="declined")
    assert "Declined — not sent" in page


def test_only_the_signed_in_customers_movements_are_ever_found(people, client, app):
    alice, _bob, _savings = people
    mallory = make_customer(app, "Mallory Mean", balance="1.00")
    login_as(client, app, mallory.id)
    for q in ("coffee", "42.50", "2026-03-10", "Pizza"):
        # an injected account id or a cursor from Alice's pages change nothing
        cursor = Cursor(T0 + timedelta(days=30), 10**6).encode()
        _r, page = search(client, q=q, account_id=alice.account_id, cursor=cursor)
        assert "Blue Bottle" not in page and "Pizza back" not in page


def test_pages_walk_the_matches_without_gaps_or_repeats(app, client, clock, monkeypatch):
    clock(T0 - timedelta(days=1))
    alice = make_customer(app, "Alice Able", balance="500.00")
    bob = make_customer(app, "Bob Baker")
    for i in range(7):
        clock(T0 + timedelta(hours=i))
        send(app, alice.account_id, bob.account_id, 100 + i, memo=f"Snack {i}")
    login_as(client, app, alice.id)
    monkeypatch.setattr(search_queries, "PAGE_SIZE", 3)
    seen: list[str] = []
    params = {"q": "snack"}
    for _ in range(5):
        _r, page = search(client, **params)
        seen += re.findall(r"Snack \d", page)
        match = re.search(r'<a rel="next" href="[^"]*cursor=([^"&]+)', page)
        if not match:
            break
        assert "More results" in page
        params = {"q": "snack", "cursor": match.group(1)}
    assert seen == [f"Snack {i}" for i in reversed(range(7))]


def test_the_scan_is_bounded_and_search_older_continues(app, client, clock, monkeypatch):
    """With a window of 4 entries, a match 6 entries back needs 'Search older'."""
    clock(T0 - timedelta(days=1))
    alice = make_customer(app, "Alice Able", balance="500.00")
    bob = make_customer(app, "Bob Baker")
    clock(T0)
    send(app, alice.account_id, bob.account_id, 100, memo="Needle")
    for i in range(5):
        clock(T0 + timedelta(hours=i + 1))
        send(app, alice.account_id, bob.account_id, 200, memo=f"Hay {i}")
    login_as(client, app, alice.id)
    monkeypatch.setattr(search_queries, "SCAN_WINDOW", 4)

    _r, page = search(client, q="needle")
    assert 'data-testid="search-results"' not in page
    assert "No matches among the most recent movements" in page and "Search older" in page
    cursor = re.search(r'<a rel="next" href="[^"]*cursor=([^"&]+)', page).group(1)
    _r, page = search(client, q="needle", cursor=cursor)
    assert 'data-testid="search-results"' in page and "Needle" in page


@pytest.mark.parametrize(
    "params",
    [{"q": ""}, {"q": "x"}, {"q": "x" * 101}, {"q": "\u200b\t"}, {"q": "y" * 5000}],
)
def test_bad_input_is_a_message_not_a_crash(people, client, params):
    response, page = search(client, **params)
    assert response.status_code == 400
    assert "field-error" in page and 'aria-invalid="true"' in page


@pytest.mark.parametrize(
    "params",
    [
        {"q": "coffee", "cursor": "garbage"},
        {"q": "coffee", "cursor": "x" * 500},
        {"q": "'; DROP TABLE entries; --"},
        {"q": "%_\\"},
        {"q": "<script>alert(1)</script>"},
        {"q": "9999999999999999999999"},
        {"q": "0000-00-00"},
    ],
)
def test_odd_input_never_fails(people, client, params):
    response, page = search(client, **params)
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in page


def test_the_search_page_without_a_query_shows_the_box(people, client):
    response, page = search(client)
    assert response.status_code == 200
    assert 'role="search"' in page and "field-error" not in page


def test_admins_and_strangers_cannot_search(app, client):
    response, _page = search(client, q="coffee")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    admin = make_admin(app)
    login_as(client, app, admin.id)
    response, _page = search(client, q="coffee")
    assert response.status_code == 403


def test_the_header_has_a_search_form_for_customers_only(people, client):
    _r, page = search(client)
    header = page.split("</header>")[0]
    assert 'role="search"' in header and 'action="/search"' in header
    assert '<label for="header-q" class="visually-hidden">' in header


def test_statements_per_search_page_do_not_grow(app, client, clock):
    """The accounts, the matches, the window's edge, the held transfers: four, always."""
    clock(T0)
    alice = make_customer(app, "Alice Able", balance="900.00")
    bob = make_customer(app, "Bob Baker")
    add_account(app, alice.id, nickname="Rainy day")
    login_as(client, app, alice.id)
    search(client, q="warm")  # the signed-in user is cached after the first page
    counts = []
    for n in (2, 20):
        for i in range(n):
            send(app, alice.account_id, bob.account_id, 100, memo=f"Tea {i}")
        with counting_queries(app) as statements:
            response, _page = search(client, q="tea")
        assert response.status_code == 200
        counts.append(len(statements))
    with app.app_context():
        dialect = db.engine.dialect.name
    # PostgreSQL 4; SQLite adds its BEGIN (as in test_query_counts.py).
    assert counts == [SEARCH_QUERIES[dialect]] * 2
