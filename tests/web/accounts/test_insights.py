"""Monthly insights through HTTP: spending by category, income vs spending, the change
from the month before, top merchants; the cache dropped by a movement or a rule; a
constant number of queries whatever the number of movements; bad months."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from banking.caching import invalidate_users
from banking.extensions import db
from tests.support.builders import add_account, make_customer
from tests.support.categories import card_purchase, external
from tests.support.forms import submit
from tests.support.ledger import send
from tests.support.sessions import login_as
from tests.support.statements import counting_queries

FEB = datetime(2026, 2, 10, 12, 0, tzinfo=UTC)
MAR = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
# Cold (no cached figures): the customer's rules, their accounts, one aggregate over the
# two months; SQLite adds its BEGIN.
INSIGHTS_QUERIES = {"postgresql": 3, "sqlite": 4}


def insights(client, month: str = "2026-03") -> str:
    response = client.get("/insights", query_string={"month": month})
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def table(html: str) -> dict[str, list[str]]:
    """category key -> [this month, month before, change] as shown in the table."""
    rows = re.findall(r'<tr data-category="([a-z]+)">(.*?)</tr>', html, re.S)
    cells = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
    return {
        key: [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells.findall(body)]
        for key, body in rows
    }


def figure(html: str, testid: str) -> str:
    return re.search(rf'data-testid="{testid}">([^<]*)<', html).group(1)


@pytest.fixture
def month_of_spending(app, client):
    alice = make_customer(app, "Alice Able")
    bob = make_customer(app, "Bob Baker")
    savings = add_account(app, alice.id, kind="savings", nickname="Rainy day")
    external(app, alice.account_id, "1000.00", "Salary — Initech", at=FEB)
    card_purchase(app, alice.account_id, "20.00", "Blue Bottle Coffee", at=FEB)
    external(app, alice.account_id, "2000.00", "Salary — Initech", at=MAR)
    card_purchase(app, alice.account_id, "30.00", "Blue Bottle Coffee", at=MAR)
    card_purchase(app, alice.account_id, "5.00", "Blue Bottle Coffee", at=MAR + timedelta(hours=1))
    card_purchase(app, alice.account_id, "60.00", "Corner Grocery", at=MAR)
    send(app, alice.account_id, savings, 50000, memo="Saving")  # own: not spending
    login_as(client, app, alice.id)
    return alice, bob


def test_the_month_in_figures(client, month_of_spending):
    html = insights(client)

    assert figure(html, "income") == "$2,000.00"
    assert figure(html, "spending") == "$95.00"
    rows = table(html)
    assert rows["groceries"] == ["$60.00", "$0.00", "+$60.00 (new)"]
    assert rows["dining"] == ["$35.00", "$20.00", "+$15.00 (+75 %)"]
    assert list(rows) == ["groceries", "dining"]  # most spent first; no Transfers row
    merchants = re.findall(r"<li><span class=\"merchant-name\"><strong>([^<]+)</strong>", html)
    assert merchants == ["Corner Grocery", "Blue Bottle Coffee"]
    assert "2 payments" in html
    assert "<svg" in html and "Spending by category" in html


def test_previous_and_next_month_links(client, month_of_spending):
    html = insights(client, "2026-03")
    assert 'href="/insights?month=2026-02"' in html and 'href="/insights?month=2026-04"' in html
    feb = insights(client, "2026-02")
    assert table(feb)["dining"] == ["$20.00", "$0.00", "+$20.00 (new)"]


def test_a_rule_and_a_movement_change_the_cached_figures(app, client, month_of_spending):
    alice, _bob = month_of_spending
    assert "dining" in table(insights(client))  # cached now

    submit(
        client,
        "/categories/rule",
        {"merchant": "Blue Bottle Coffee", "category": "groceries"},
        form_url="/categories/rule?merchant=Blue+Bottle+Coffee",
    )
    rows = table(insights(client))
    assert "dining" not in rows and rows["groceries"][0] == "$95.00"

    card_purchase(app, alice.account_id, "5.00", "Pizza Palace", at=MAR)
    assert table(insights(client))["dining"][0] == "$5.00"


def test_another_customer_sees_only_their_own(app, client, month_of_spending):
    _alice, bob = month_of_spending
    login_as(client, app, bob.id)
    html = insights(client)
    assert figure(html, "spending") == "$0.00" and "Blue Bottle" not in html


@pytest.mark.parametrize("month", ["2026-13", "march", "2999-01"])
def test_a_bad_month_is_a_400_with_a_message(client, month_of_spending, month):
    response = client.get("/insights", query_string={"month": month})
    assert response.status_code == 400
    assert 'class="field-error"' in response.get_data(as_text=True)


def _queries(app, client, movements: int, dialect: str) -> int:
    customer = make_customer(app, f"Counter {movements}", balance="500.00")
    for i in range(movements):
        card_purchase(app, customer.account_id, "1.00", f"Shop {i % 7}", at=MAR)
    login_as(client, app, customer.id)
    assert client.get("/").status_code == 200  # a session's first page caches its user
    with app.app_context():
        invalidate_users([customer.id])  # a cold insights entry; the user stays cached
    with counting_queries(app) as statements:
        assert client.get("/insights?month=2026-03").status_code == 200
    return len(statements)


def test_query_count_does_not_grow_with_movements(app, client):
    with app.app_context():
        dialect = db.engine.dialect.name
    few = _queries(app, client, 5, dialect)
    many = _queries(app, client, 50, dialect)
    assert few == many == INSIGHTS_QUERIES[dialect]
