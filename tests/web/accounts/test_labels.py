"""Say who, not how: the other side of a movement is its title on every page and export.

A card purchase used to read "External cash" in history and "Withdrawal" on the
dashboard, with the merchant in grey; a move to savings read "To Rainy-day savings" on
one page and "Your Rainy-day savings ••••1234" on another. One function
(`banking.core.names.counterparty_title`) names the other side for all of them.
"""

from __future__ import annotations

import re

import pytest

from banking.core import ledger
from tests.support.builders import add_account, make_customer
from tests.support.ledger import adjust, send
from tests.support.sessions import login_as


@pytest.fixture
def alice(app, client):
    alice = make_customer(app, "Alice Able", balance="500.00")
    savings = add_account(app, alice.id, nickname="Rainy-day savings")
    bob = make_customer(app, "Bob Baker")
    adjust(
        app,
        alice.account_id,
        -1250,
        memo="Card purchase — Corner Café",
        kind="withdrawal",
        system_code=ledger.EXTERNAL_CASH,
    )
    adjust(
        app,
        alice.account_id,
        300_000,
        memo="Salary — Acme Ltd",
        kind="deposit",
        system_code=ledger.EXTERNAL_CASH,
    )
    adjust(app, alice.account_id, 42, memo="", kind="interest", system_code=ledger.INTEREST_EXPENSE)
    send(app, alice.account_id, savings, 5000, initiator_id=alice.id, memo="Monthly savings")
    send(app, alice.account_id, bob.account_id, 700, initiator_id=alice.id, memo="Lunch")
    login_as(client, app, alice.id)
    return alice


def titles(html: str) -> list[str]:
    """The bold first line of each movement, links unwrapped."""
    found = re.findall(r'<strong class="row-title">(.*?)</strong>', html, re.S)
    return [re.sub(r"<[^>]+>", "", title).strip() for title in found]


EXPECTED = [
    "B*** B*** ••••",
    "Your Rainy-day savings",
    "The bank",
    "Acme Ltd",
    "Corner Café",
]


def assert_titles(found: list[str]) -> None:
    """Newest first (as a subsequence: the dashboard also shows the savings side of the
    move, titled "Your Everyday checking"); another customer stays masked."""
    remaining = iter(found)
    for expected in EXPECTED:
        assert any(title.startswith(expected) for title in remaining), (expected, found)


def test_history_titles_each_movement_with_its_counterparty(app, client, alice):
    html = client.get(f"/accounts/{alice.account_id}/history").get_data(as_text=True)
    assert_titles(titles(html))
    assert "External cash" not in html
    assert "Bob Baker" not in html  # masking rules unchanged
    # The kind comes second, with what the memo adds (not the merchant again).
    assert "Withdrawal · Card purchase" in html
    assert "Deposit · Salary" in html
    assert "Transfer · Monthly savings" in html


def test_dashboard_uses_the_same_titles(app, client, alice):
    html = client.get("/").get_data(as_text=True)
    assert_titles(titles(html))
    assert "Your Everyday checking" in titles(html)  # the savings side of the same move
    assert "External cash" not in html
    assert "Withdrawal</a>" not in html and ">Withdrawal<" not in html
    assert "Withdrawal · Card purchase" in html


def test_statement_and_csv_say_who_too(app, client, alice):
    from banking.core.models.base import utcnow

    month = utcnow().strftime("%Y-%m")
    html = client.get(
        f"/accounts/{alice.account_id}/statement", query_string={"month": month}
    ).get_data(as_text=True)
    assert "Corner Café" in titles(html)
    csv = client.get(f"/accounts/{alice.account_id}/history/export.csv").get_data(as_text=True)
    lines = csv.splitlines()
    assert any(",Withdrawal,Corner Café,Card purchase — Corner Café," in line for line in lines)
    assert any(",Transfer,Your Rainy-day savings,Monthly savings," in line for line in lines)
    assert any(",Interest,The bank,," in line for line in lines)
