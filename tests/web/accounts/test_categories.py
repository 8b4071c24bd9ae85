"""Categories through HTTP: the default rules on history, statement and CSV; a customer's
rule ("always put <merchant> under <category>") applied to past and future movements,
undone and removed; the history filter; scoping and bad input."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from banking.core.history import queries as history_queries
from banking.core.models import AuditEvent, CategoryOverride
from banking.extensions import db
from tests.support.builders import add_account, fund, make_admin, make_customer
from tests.support.categories import card_purchase, external
from tests.support.forms import submit
from tests.support.ledger import send
from tests.support.sessions import login_as

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ROW = re.compile(r'<strong class="row-title">([^<]*)</strong>.*?data-category="([a-z]+)"', re.S)


def categories_of(html: str) -> list[tuple[str, str]]:
    """(title, category key) of each history row on the page, top to bottom."""
    return ROW.findall(html)


def history(client, account_id: int, **params) -> str:
    response = client.get(f"/accounts/{account_id}/history", query_string=params)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def set_rule(client, merchant: str, category: str, account: int | None = None):
    query = f"?merchant={merchant}" + (f"&account={account}" if account else "")
    return submit(
        client,
        "/categories/rule",
        {"merchant": merchant, "category": category, "account": account or ""},
        form_url=f"/categories/rule{query}",
    )


@pytest.fixture
def spender(app, client):
    """Alice: paid a salary, rent, coffee and groceries; sent Bob money; signed in."""
    alice = make_customer(app, "Alice Able", balance="500.00")
    bob = make_customer(app, "Bob Baker")
    external(app, alice.account_id, "2000.00", "Salary — Initech")
    external(app, alice.account_id, "-900.00", "Rent — Oak Lane Properties")
    card_purchase(app, alice.account_id, "4.50", "Blue Bottle Coffee")
    card_purchase(app, alice.account_id, "62.10", "Corner Grocery")
    send(app, alice.account_id, bob.account_id, 1000, memo="Dinner")
    login_as(client, app, alice.id)
    return alice


def test_history_rows_are_categorised_by_the_default_rules(client, spender):
    rows = dict(categories_of(history(client, spender.account_id)))

    assert rows["Blue Bottle Coffee"] == "dining"
    assert rows["Corner Grocery"] == "groceries"
    assert rows["Oak Lane Properties"] == "rent"
    assert rows["Initech"] == "salary"
    assert rows["Deposit"] == "other"  # "Test deposit": names nobody
    assert [c for title, c in rows.items() if title.startswith("B*** B***")] == ["transfers"]


def test_a_rule_moves_past_and_future_payments_and_undo_puts_them_back(app, client, spender):
    before = history(client, spender.account_id)  # also fills the page cache
    assert ("Blue Bottle Coffee", "dining") in categories_of(before)

    response = set_rule(client, "Blue Bottle Coffee", "shopping", account=spender.account_id)

    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Blue Bottle Coffee is now under Shopping" in page
    assert "Undo" in page
    # The cached first page of history was dropped: the past payment moved.
    assert ("Blue Bottle Coffee", "shopping") in categories_of(history(client, spender.account_id))
    card_purchase(app, spender.account_id, "3.80", "  blue bottle   COFFEE ")
    rows = categories_of(history(client, spender.account_id))
    bottles = [c for t, c in rows if " ".join(t.lower().split()) == "blue bottle coffee"]
    assert bottles == ["shopping", "shopping"]  # the new one too, however it is spelled

    undo = submit(
        client,
        "/categories/undo",
        {"merchant": "Blue Bottle Coffee", "previous": ""},
        form_url=response.headers["Location"],
    )

    assert undo.status_code == 303
    rows = categories_of(history(client, spender.account_id))
    assert all(c == "dining" for t, c in rows if "bottle" in t.lower())
    with app.app_context():
        assert db.session.query(CategoryOverride).count() == 0
        actions = [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
        assert actions[-2:] == ["category_rule.set", "category_rule.removed"]
        db.session.remove()


def test_changing_a_rule_twice_undoes_to_the_first_choice(app, client, spender):
    set_rule(client, "Corner Grocery", "dining")
    second = set_rule(client, "Corner Grocery", "bills")
    assert "was=dining" in second.headers["Location"]

    submit(
        client,
        "/categories/undo",
        {"merchant": "Corner Grocery", "previous": "dining"},
        form_url="/categories",
    )

    assert ("Corner Grocery", "dining") in categories_of(history(client, spender.account_id))


def test_rules_are_listed_and_removed(app, client, spender):
    set_rule(client, "Corner Grocery", "dining")
    page = client.get("/categories").get_data(as_text=True)
    assert "Corner Grocery" in page and 'data-testid="rule"' in page

    response = submit(
        client, "/categories/rule/remove", {"merchant": "Corner Grocery"}, form_url="/categories"
    )

    assert response.status_code == 303
    page = client.get("/categories").get_data(as_text=True)
    assert 'data-testid="rule"' not in page
    assert ("Corner Grocery", "groceries") in categories_of(history(client, spender.account_id))


def test_a_rule_is_the_customers_own(app, client, spender):
    """Bob's history is untouched by Alice's rule, and Alice cannot name Bob's account."""
    bob = make_customer(app, "Bob Other", balance="50.00")
    card_purchase(app, bob.account_id, "4.00", "Blue Bottle Coffee")
    set_rule(client, "Blue Bottle Coffee", "bills")

    assert client.get(f"/categories/rule?merchant=X&account={bob.account_id}").status_code == 404
    login_as(client, app, bob.id)
    assert ("Blue Bottle Coffee", "dining") in categories_of(history(client, bob.account_id))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"merchant": "Corner Grocery", "category": "champagne"}, "Not a valid choice"),
        ({"merchant": "Corner Grocery", "category": ""}, "Choose a category."),
    ],
)
def test_a_bad_rule_is_refused_with_a_message(app, client, spender, data, message):
    response = submit(
        client, "/categories/rule", data, form_url="/categories/rule?merchant=Corner+Grocery"
    )

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(CategoryOverride).count() == 0
        db.session.remove()


def test_a_rule_without_a_merchant_or_token_changes_nothing(app, client, spender):
    no_merchant = submit(client, "/categories/rule", {"merchant": "", "category": "dining"},
                         form_url="/categories")
    no_token = client.post("/categories/rule", data={"merchant": "X", "category": "dining"})

    assert no_merchant.status_code == 303
    assert no_token.status_code in (302, 303, 400)
    assert client.get("/categories/rule").status_code == 303
    with app.app_context():
        assert db.session.query(CategoryOverride).count() == 0
        db.session.remove()


def test_history_filters_by_category(client, spender):
    rows = categories_of(history(client, spender.account_id, category="dining"))
    assert rows == [("Blue Bottle Coffee", "dining")]

    response = client.get(f"/accounts/{spender.account_id}/history?category=champagne")
    assert response.status_code == 400


def test_category_pages_walk_every_match_once(app, client, monkeypatch):
    """A bounded scan per page: a page that ran out of entries links on from where it
    stopped; following the links lists every match exactly once, newest first."""
    monkeypatch.setattr(history_queries, "CATEGORY_BATCH", 4)
    monkeypatch.setattr(history_queries, "CATEGORY_SCAN_MAX", 8)
    alice = make_customer(app, "Alice Able", balance="900.00")
    for i in range(30):
        at = T0 + timedelta(minutes=i)
        card_purchase(app, alice.account_id, f"{i + 1}.00", "Pizza Palace", at=at)
        for j in range(2):
            card_purchase(app, alice.account_id, "1.00", "FreshMart", at=at + timedelta(seconds=j))
    login_as(client, app, alice.id)

    seen, url, pages = [], f"/accounts/{alice.account_id}/history?category=dining", 0
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += re.findall(r'data-category="dining".*?(\d+\.\d\d)', html, re.S)
        found = re.search(r'href="([^"]*cursor=[^"]*)"[^>]*>Older', html)
        url = found.group(1).replace("&amp;", "&") if found else None
        pages += 1

    amounts = [float(a) for a in seen]
    assert sorted(amounts, reverse=True) == [float(i) for i in range(30, 0, -1)]
    assert amounts == sorted(amounts, reverse=True)
    assert pages > 2  # the scan bound made pages end early


def test_statement_and_csv_carry_the_category(app, client, spender):
    set_rule(client, "Corner Grocery", "bills")
    month = datetime.now(UTC).strftime("%Y-%m")

    def text(url: str) -> str:
        response = client.get(url)
        assert response.status_code == 200
        return response.get_data(as_text=True)  # read now: exports stream

    statement = text(f"/accounts/{spender.account_id}/statement?month={month}")
    export = text(f"/accounts/{spender.account_id}/history/export.csv")
    filtered = text(f"/accounts/{spender.account_id}/history/export.csv?category=dining")
    statement_csv = text(f"/accounts/{spender.account_id}/statement.csv?month={month}")

    assert ("Corner Grocery", "bills") in categories_of(statement)
    assert "Corner Grocery" in statement_csv and ",Bills\r\n" in statement_csv
    rows = list(csv.reader(io.StringIO(export)))
    assert rows[0][-1] == "Category"
    by_title = {row[2]: row[-1] for row in rows[1:]}
    assert by_title["Corner Grocery"] == "Bills"
    assert by_title["Blue Bottle Coffee"] == "Dining"
    assert by_title["Initech"] == "Salary"
    only = list(csv.reader(io.StringIO(filtered)))
    assert [row[2] for row in only[1:]] == ["Blue Bottle Coffee"]


def test_interest_and_own_transfers_have_their_categories(app, client, spender):
    savings = add_account(app, spender.id, kind="savings", nickname="Rainy day")
    fund(app, savings, "10.00")
    send(app, spender.account_id, savings, 500, memo="Saving")

    rows = dict(categories_of(history(client, spender.account_id)))

    assert rows["Your Rainy day"] == "transfers"


def test_search_finds_movements_by_category(client, spender):
    """"dining" is in no memo: the category facet finds the coffee, then, after a rule,
    the groceries too; the words still match memos as before."""
    def found(q: str) -> list[tuple[str, str]]:
        response = client.get("/search", query_string={"q": q})
        assert response.status_code == 200
        return categories_of(response.get_data(as_text=True))

    assert found("dining") == [("Blue Bottle Coffee", "dining")]
    set_rule(client, "Corner Grocery", "dining")
    assert sorted(found("Dining")) == [
        ("Blue Bottle Coffee", "dining"),
        ("Corner Grocery", "dining"),
    ]
    assert ("Oak Lane Properties", "rent") in found("rent")
    assert [c for _t, c in found("dinner")] == ["transfers"]  # the memo, as before


def test_the_admin_audit_log_says_what_a_rule_did(app, client, spender):
    set_rule(client, "Blue Bottle Coffee", "shopping")
    submit(client, "/categories/rule/remove", {"merchant": "Blue Bottle Coffee"},
           form_url="/categories")
    admin = make_admin(app)
    login_as(client, app, admin.id)

    page = client.get("/admin/audit").get_data(as_text=True)

    assert "put “blue bottle coffee” under Shopping" in page
    assert "removed their category rule for “blue bottle coffee”" in page


def test_a_page_with_no_match_in_its_scan_says_so_and_links_on(app, client, monkeypatch):
    monkeypatch.setattr(history_queries, "CATEGORY_BATCH", 4)
    monkeypatch.setattr(history_queries, "CATEGORY_SCAN_MAX", 8)
    alice = make_customer(app, "Alice Able", balance="900.00")
    card_purchase(app, alice.account_id, "7.00", "Pizza Palace", at=T0)
    for i in range(12):
        card_purchase(app, alice.account_id, "1.00", "FreshMart", at=T0 + timedelta(minutes=i + 1))
    login_as(client, app, alice.id)

    first = history(client, alice.account_id, category="dining")
    assert categories_of(first) == []
    assert "older ones may be" in first
    older = re.search(r'href="([^"]*cursor=[^"]*)"[^>]*>Older', first).group(1)
    assert categories_of(client.get(older.replace("&amp;", "&")).get_data(as_text=True)) == [
        ("Pizza Palace", "dining")
    ]
