"""The dashboard: balances, totals, recent movements, the chart, and a cache that is never stale."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from banking.caching import user_key
from banking.core import ledger
from banking.core.clock import FixedClock
from banking.core.models.base import utcnow
from banking.extensions import cache, db
from tests.support.builders import add_account, fund, make_admin, make_customer, set_status
from tests.support.page_cache import outdate_cached_pages
from tests.support.sessions import login_as
from tests.support.transfers import own_transfer, pay


@pytest.fixture
def jane_balance() -> str:
    """Jane (tests/web/accounts/conftest.py) starts with this much here."""
    return "1234.56"


def dashboard(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_dashboard_shows_each_account_with_balance_and_available(app, client, jane):
    savings = add_account(app, jane.id, nickname="Rainy day")
    fund(app, savings, "10.00")

    html = dashboard(client)

    assert "<h1>Your accounts</h1>" in html
    assert f'data-testid="balance-{jane.account_id}">$1,234.56<' in html
    assert f'data-testid="available-{jane.account_id}">$1,234.56<' in html
    assert "Rainy day" in html
    assert f'data-testid="balance-{savings}">$10.00<' in html


def test_dashboard_totals_every_account_per_currency(app, client, jane):
    savings = add_account(app, jane.id)
    fund(app, savings, "0.44")

    assert 'data-testid="total-USD">$1,235.00<' in dashboard(client)


def test_dashboard_lists_the_last_ten_movements_newest_first(app, client, jane):
    john = make_customer(app, "John Smith")
    for cents in range(1, 13):
        pay(client, jane.account_id, john.account_number, f"0.{cents:02d}")

    html = dashboard(client)

    rows = re.findall(r"−\$0\.(\d\d)", html)
    assert rows == [f"{c:02d}" for c in range(12, 2, -1)]
    assert "J*** S*** ••••" in html  # who, not "To"/"Transfer": the sign says which way
    assert "John Smith" not in html


def test_pending_transfer_appears_as_pending_and_reduces_available_only(app, client, jane):
    app.config["REVIEW_THRESHOLD_CENTS"] = 10_000
    john = make_customer(app, "John Smith")

    pay(client, jane.account_id, john.account_number, "200.00")

    html = dashboard(client)
    assert "Pending" in html
    assert f'data-testid="balance-{jane.account_id}">$1,234.56<' in html
    assert f'data-testid="available-{jane.account_id}">$1,034.56<' in html


def test_the_headline_total_comes_first_and_explains_money_on_hold(app, client, jane):
    html = dashboard(client)
    assert 'data-testid="total-USD">$1,234.56<' in html
    assert html.index('data-testid="total-USD"') < html.index(f"balance-{jane.account_id}")
    assert "on hold" not in html

    app.config["REVIEW_THRESHOLD_CENTS"] = 10_000
    john = make_customer(app, "John Smith")
    pay(client, jane.account_id, john.account_number, "200.00")

    html = dashboard(client)
    assert 'data-testid="total-USD">$1,234.56<' in html
    held = re.search(r'data-testid="on-hold-USD">([^<]*)<', html).group(1)
    assert held.startswith("$200.00 on hold for transfers under review")
    assert "($1,034.56)" in held


def held_payment(app, client, jane, john, amount: str = "200.00") -> int:
    app.config["REVIEW_THRESHOLD_CENTS"] = 10_000
    attempt = pay(client, jane.account_id, john.account_number, amount, memo="Deposit for flat")
    assert attempt.transaction_id is not None
    return attempt.transaction_id


def admin_rejects(app, transaction_id: int, reason: str) -> None:
    from banking.services.actor import Actor
    from banking.services.admin import money as money_actions

    admin = make_admin(app)
    with app.app_context():
        money_actions.reject(transaction_id, actor=Actor.web(admin.id), reason=reason)
        db.session.remove()


def recent_row(html: str, transaction_id: int) -> str:
    match = re.search(rf'<tr data-testid="recent-{transaction_id}">(.*?)</tr>', html, re.S)
    assert match, f"transaction {transaction_id} is not in recent activity"
    return match.group(1)


def test_sender_sees_a_rejected_transfer_as_declined_with_the_reason(app, client, jane):
    john = make_customer(app, "John Smith")
    txn_id = held_payment(app, client, jane, john)
    assert "Pending" in recent_row(dashboard(client), txn_id)  # the summary is now cached

    admin_rejects(app, txn_id, "We could not verify the payee")

    html = dashboard(client)
    row = recent_row(html, txn_id)
    assert "Declined" in row and "Pending" not in row
    assert "Not sent" in row and "did not leave your account" in row
    assert "We could not verify the payee" in row
    assert f'href="/transfers/{txn_id}"' in row
    assert "−$200.00" not in row  # not shown as money that went out
    assert f'data-testid="available-{jane.account_id}">$1,234.56<' in html


def test_sender_sees_an_expired_transfer_as_declined(app, client, jane):
    john = make_customer(app, "John Smith")
    txn_id = held_payment(app, client, jane, john)
    dashboard(client)
    with app.app_context():
        ledger.expire_holds(db.session, now=utcnow() + timedelta(days=30))
        db.session.remove()

    row = recent_row(dashboard(client), txn_id)
    assert "Declined" in row and "not reviewed in time" in row


def test_recipient_does_not_see_a_declined_transfer(app, client, jane):
    john = make_customer(app, "John Smith")
    txn_id = held_payment(app, client, jane, john)
    other = app.test_client()
    login_as(other, app, john.id)
    assert f'data-testid="recent-{txn_id}"' in dashboard(other)  # pending: both see it

    admin_rejects(app, txn_id, "Not verified")

    html = dashboard(other)
    assert f'data-testid="recent-{txn_id}"' not in html
    assert "Not verified" not in html


def test_only_transfers_the_customer_sent_link_to_the_transfer_page(app, client, jane):
    john = make_customer(app, "John Smith", balance="10.00")
    sent = pay(client, jane.account_id, john.account_number, "5.00").transaction_id
    other = app.test_client()
    login_as(other, app, john.id)
    received = pay(other, john.account_id, jane.account_number, "1.00").transaction_id

    html = dashboard(client)

    assert f'href="/transfers/{sent}"' in recent_row(html, sent)
    assert "href=" not in recent_row(html, received)  # John's transfer page is John's
    assert client.get(f"/transfers/{sent}").status_code == 200


def test_customer_never_sees_a_stale_balance_after_their_own_transfer(app, client, jane):
    savings = add_account(app, jane.id, nickname="Rainy day")
    assert f'data-testid="balance-{savings}">$0.00<' in dashboard(client)  # now cached

    own_transfer(client, jane.account_id, savings, "100.00")

    html = dashboard(client)
    assert f'data-testid="balance-{savings}">$100.00<' in html
    assert f'data-testid="balance-{jane.account_id}">$1,134.56<' in html


def test_recipients_cached_dashboard_is_invalidated_by_a_transfer(app, client, jane):
    john = make_customer(app, "John Smith")
    other = app.test_client()
    login_as(other, app, john.id)
    assert f'data-testid="balance-{john.account_id}">$0.00<' in dashboard(other)
    with app.app_context():
        assert cache.get(user_key("dashboard", john.id)) is not None

    pay(client, jane.account_id, john.account_number, "25.00")

    with app.app_context():
        assert cache.get(user_key("dashboard", john.id)) is None
    assert f'data-testid="balance-{john.account_id}">$25.00<' in dashboard(other)


def without_csrf(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', "", html)


def test_dashboard_summary_is_served_from_the_cache(app, client, jane):
    """The page's content is rendered once with the summary and cached with it."""
    first = dashboard(client)
    with app.app_context():
        cached = cache.get(user_key("dashboard", jane.id))
        name = cached["accounts"][0]["name"]
        assert name in cached["body_html"]
        cached["body_html"] = cached["body_html"].replace(name, "From the cache")
        cache.set(user_key("dashboard", jane.id), cached)

    outdate_cached_pages(app, jane.id)  # the whole page is cached too: render it again
    assert "From the cache" in dashboard(client)
    assert without_csrf(first.replace(name, "From the cache")) == without_csrf(dashboard(client))


def test_a_summary_cached_without_its_body_is_rendered_from_the_data(app, client, jane):
    """An entry the previous release cached (data only) still makes the same page."""
    first = dashboard(client)
    with app.app_context():
        cached = cache.get(user_key("dashboard", jane.id))
        del cached["body_html"]
        cache.set(user_key("dashboard", jane.id), cached)
    outdate_cached_pages(app, jane.id)

    assert without_csrf(dashboard(client)) == without_csrf(first)


def test_chart_is_inline_svg_without_style_or_script(app, client, jane):
    html = dashboard(client)

    svg = re.search(r'<svg[^>]*class="chart[^"]*".*?</svg>', html, re.S).group(0)
    assert 'role="img"' in svg
    assert "<title" in svg and "<desc" in svg
    assert "style=" not in html
    # Scripts only from static files (the CSP allows no inline script).
    assert re.findall(r"<script\b[^>]*>", html) == [
        '<script src="/static/js/app.js" defer>'
    ]
    assert "$1,234.56 in" in html  # the text alternative


def test_chart_text_alternative_lists_thirty_days(app, client, jane):
    with app.app_context():
        ledger.post_adjustment(
            db.session,
            account_id=jane.account_id,
            amount=-2000,
            initiator_id=None,
            key="old-withdrawal",
            memo="Cash",
            kind="withdrawal",
            system_code=ledger.EXTERNAL_CASH,
            clock=FixedClock(utcnow() - timedelta(days=3)),
        )
        db.session.remove()

    html = dashboard(client)

    details = re.search(r"<details>.*?</details>", html, re.S).group(0)
    assert details.count('<th scope="row">') == 30
    assert "$20.00" in details


def test_frozen_account_shows_its_status_and_reason_in_words(app, client, jane):
    set_status(app, jane.account_id, "frozen", "We are checking a payment with you")

    html = dashboard(client)

    assert "This account is frozen" in html
    assert "We are checking a payment with you" in html
    assert "can&#39;t send or receive money" in html or "can't send or receive money" in html


def test_closed_accounts_are_not_listed(app, client, jane):
    savings = add_account(app, jane.id, nickname="Old pot")
    set_status(app, savings, "closed")

    assert "Old pot" not in dashboard(client)


def test_dashboard_shows_only_the_customers_own_accounts(app, client, jane):
    make_customer(app, "John Smith", balance="999.99")

    html = dashboard(client)

    assert "$999.99" not in html


def test_dashboard_needs_sign_in(client):
    response = client.get("/")

    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_admin_is_sent_to_the_admin_pages(app, client):
    admin = make_admin(app)
    login_as(client, app, admin.id)

    response = client.get("/")

    assert response.status_code == 302
    assert "/admin" in response.headers["Location"]


def test_dashboard_still_works_when_the_cache_is_down(app, client, jane, monkeypatch):
    def broken(*_args, **_kwargs):
        raise ConnectionError("cache unavailable")

    monkeypatch.setattr(cache, "get", broken)
    monkeypatch.setattr(cache, "delete_many", broken)

    assert f'data-testid="balance-{jane.account_id}">$1,234.56<' in dashboard(client)
    john = make_customer(app, "John Smith")
    assert pay(client, jane.account_id, john.account_number, "1.00").transaction_id


def test_nav_links_follow_the_script_root_of_each_request(app, client, jane):
    """The nav's argument-less links are memoized; a proxy prefix must still show in them."""
    plain = dashboard(client)
    prefixed = client.get("/", environ_overrides={"SCRIPT_NAME": "/bank"})
    again = dashboard(client)

    assert 'href="/payees"' in plain and 'action="/auth/logout"' in plain
    html = prefixed.get_data(as_text=True)
    assert 'href="/bank/payees"' in html and 'action="/bank/auth/logout"' in html
    assert 'href="/payees"' in again and 'href="/bank/payees"' not in again
