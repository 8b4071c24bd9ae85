"""Admin overview figures (cached, with their age). The ledger check and failed jobs:
test_admin_operations.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from banking.extensions import db
from banking.services.admin.stats import compute_stats
from tests.support.admin import admin_client
from tests.support.builders import make_customer
from tests.support.ledger import execute, send


def test_overview_shows_customers_money_and_the_books_check(app, client):
    admin_client(app, client)
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker", balance="50.00")
    send(app, alice.account_id, bob.account_id, 2_500, owner_id=alice.id)
    page = client.get("/admin/").get_data(as_text=True)
    assert "$150.00" in page  # held for customers
    assert "Books balance" in page
    assert "<svg" in page and "<rect" in page
    assert "style=" not in page  # CSP: no inline style
    assert not re.search(r"<script(?![^>]*\ssrc=)", page)  # nor inline script
    assert "Database" in page and "ok" in page


def test_overview_counts_transfers_in_the_last_day_and_week(app, ctx):
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    send(app, alice.account_id, bob.account_id, 1_000, owner_id=alice.id)
    old = send(app, alice.account_id, bob.account_id, 2_000, owner_id=alice.id)
    three_days_ago = datetime.now(UTC) - timedelta(days=3)
    execute(
        app,
        "UPDATE journal_transactions SET created_at = :at WHERE id = :id",
        at=three_days_ago,
        id=old.transaction_id,
    )
    stats = compute_stats(db.session)
    assert (stats.transfers_24h, stats.volume_24h) == (1, [("USD", 1_000)])
    assert (stats.transfers_7d, stats.volume_7d) == (2, [("USD", 3_000)])
    assert stats.customers == 2 and stats.accounts == 2
    (usd,) = stats.money
    assert (usd.currency, usd.customer_total, usd.system_total) == ("USD", 10_000, -10_000)
    assert stats.books_balance
    assert sum(day.volume for day in stats.days) == 3_000
    assert stats.days[-1].volume == 1_000


@pytest.mark.corrupts_ledger
def test_overview_flags_books_that_do_not_balance(app, client):
    admin_client(app, client)
    customer = make_customer(app, balance="10.00")
    execute(app, "UPDATE accounts SET balance = balance + 1 WHERE id = :id", id=customer.account_id)
    assert "Out of balance" in client.get("/admin/").get_data(as_text=True)


def test_overview_figures_are_cached_and_say_how_old_they_are(app, client):
    app.config["ADMIN_STATS_CACHE_SECONDS"] = 300
    admin_client(app, client)
    first = client.get("/admin/").get_data(as_text=True)
    assert re.search(r"Figures computed \d+ seconds? ago", first)
    make_customer(app, "Late Comer", balance="99.00")
    cached = client.get("/admin/").get_data(as_text=True)
    assert "$99.00" not in cached  # still the cached figures

    app.config["ADMIN_STATS_CACHE_SECONDS"] = 0
    from banking.caching import delete
    from banking.services.admin.stats import STATS_KEY

    with app.app_context():
        delete([STATS_KEY])
    assert "$99.00" in client.get("/admin/").get_data(as_text=True)
