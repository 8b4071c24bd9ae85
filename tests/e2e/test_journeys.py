"""Customer and admin journeys in headless Chromium against the real server.

Each test is one story a person lives through. The guard in conftest fails any of them
on a console error, a CSP violation, a broken asset or an unexpected error page.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.e2e import bank


@pytest.fixture
def admin_page(new_context):
    page = new_context()
    bank.sign_in_admin(page)
    return page


def _funded_customer(page, admin_page, name: str, amount: str = "500.00") -> tuple[str, str]:
    """Sign up `name` in `page`, have the bank deposit `amount`; returns (email, number)."""
    email = bank.unique_email(name.split()[0].lower())
    bank.sign_up(page, name, email)
    number = bank.account_number(page, bank.first_account_id(page))
    if amount:
        bank.admin_deposit(admin_page, number, amount)
    return email, number


# The text a sighted reader sees in a cell: without the visually hidden words.
VISIBLE_TEXT = """(cell) => [...cell.childNodes]
  .filter((n) => !(n.classList && n.classList.contains('visually-hidden')))
  .map((n) => n.textContent).join('').trim()"""


def _history_row(page, account_id: int, memo: str) -> dict[str, object]:
    """The one history row with `memo`: its amount cell as read aloud and as seen, its
    colour, and the balance after it."""
    bank.go(page, f"/accounts/{account_id}/history")
    rows = page.locator("table tbody tr").filter(has_text=memo)
    assert rows.count() == 1, page.locator("table tbody tr").all_inner_texts()
    cell = rows.first.locator("td.cell-amount")
    return {
        # textContent: the visually hidden words for screen readers, then the amount.
        "amount": " ".join(cell.text_content().split()),
        # What a sighted reader sees: the signed amount alone (no "in"/"out" line under it).
        "seen": cell.evaluate(VISIBLE_TEXT),
        "colour": {"credit", "debit"} & set(cell.get_attribute("class").split()),
        "balance": rows.first.locator("td.cell-balance").inner_text().strip(),
    }


def _csv_rows(page, account_id: int, memo: str) -> list[dict[str, str]]:
    """The history CSV's rows with this memo, downloaded through the page's link."""
    bank.go(page, f"/accounts/{account_id}/history")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    content = download_info.value.path().read_text(encoding="utf-8-sig")
    return [row for row in csv.DictReader(io.StringIO(content)) if row["Memo"] == memo]


def _signed(row: dict[str, str]) -> Decimal:
    """The CSV's two non-negative columns as one signed amount (exactly one is filled)."""
    money_in, money_out = row["Money in"], row["Money out"]
    assert bool(money_in) != bool(money_out), row
    return Decimal(money_in) if money_in else -Decimal(money_out)


def test_customer_journey_from_sign_up_to_a_refused_transfer_to_a_frozen_account(
    new_context, admin_page
):
    alice = new_context()
    bob = new_context()
    alice_email, _ = _funded_customer(alice, admin_page, "Alice Archer")
    _, bob_number = _funded_customer(bob, admin_page, "Bob Baker", amount="")

    # Two-factor: enrol from the page's key, sign out, sign back in with a fresh code.
    totp = bank.enroll_two_factor(alice)
    bank.shoot(alice, "recovery-codes")
    bank.sign_out(alice)
    bank.sign_in(alice, alice_email)
    assert alice.get_by_role("heading", level=1).inner_text() == "Enter your code"
    alice.get_by_label("Authentication code or recovery code").fill(bank.next_code(totp))
    bank.press_submit(alice, "Verify")
    assert alice.get_by_role("heading", level=1).inner_text() == "Your accounts"

    # A savings account, and money moved into it.
    bank.open_savings(alice, "Rainy day")
    bank.transfer_own(alice, "Everyday", "Rainy day", "120.50", memo="Saving up")
    bank.confirm_transfer(alice, "$120.50")
    assert alice.get_by_test_id(re.compile("new-balance")).inner_text() == "$379.50"

    # A saved payee, paid.
    bank.save_payee(alice, "Bob", bob_number)
    bank.pay(alice, "42.00", payee="Bob", memo="Dinner")
    assert alice.get_by_test_id("recipient").inner_text().startswith("B")
    bank.confirm_transfer(alice, "$42.00")

    # Both see it, with sign and colour (words for screen readers), in their own histories.
    alice_checking = bank.first_account_id(alice)
    bob_checking = bank.first_account_id(bob)
    assert _history_row(alice, alice_checking, "Dinner") == {
        "amount": "Money out: −$42.00",
        "seen": "−$42.00",
        "colour": {"debit"},
        "balance": "$337.50",  # 500.00 - 120.50 - 42.00
    }
    assert _history_row(bob, bob_checking, "Dinner") == {
        "amount": "Money in: +$42.00",
        "seen": "+$42.00",
        "colour": {"credit"},
        "balance": "$42.00",
    }

    # Each one's CSV export has the payment once, on the right side, with the balance.
    (sent,) = _csv_rows(alice, alice_checking, "Dinner")
    assert _signed(sent) == Decimal("-42.00") and sent["Balance"] == "337.50", sent
    (received,) = _csv_rows(bob, bob_checking, "Dinner")
    assert _signed(received) == Decimal("42.00") and received["Balance"] == "42.00", received

    # A monthly transfer to Bob, starting next week.
    start = (date.today() + timedelta(days=7)).isoformat()
    bank.schedule_monthly(alice, "Everyday", bob_number, "15.00", start)
    assert alice.get_by_role("heading", level=1).inner_text() == "Scheduled transfers"
    assert "$15.00" in alice.locator("table").first.inner_text()

    # The bank freezes Bob's account; Alice's next payment to it is refused, clearly.
    bank.admin_freeze(admin_page, bob_number)
    alice.guard.expect_status(400, "/transfers/pay")
    bank.pay(alice, "5.00", payee="Bob")
    assert alice.get_by_role("heading", level=1).inner_text() == "Pay someone"
    assert alice.get_by_text(re.compile("frozen", re.I)).first.is_visible()
    bank.shoot(alice, "transfer-refused")


def test_keyboard_only_transfer_between_own_accounts(new_context, admin_page):
    page = new_context()
    _funded_customer(page, admin_page, "Kim Keys")
    bank.open_savings(page, "Keyboard fund")
    bank.go(page, "/transfers/own")

    def tab_to(predicate: str, limit: int = 40) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(predicate):
                return
        raise AssertionError(f"Tab never reached {predicate}")

    # The skip link comes first, and it works.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    page.keyboard.press("Enter")
    tab_to("document.activeElement.id === 'from_account'")
    page.keyboard.press("ArrowDown")  # first real account (Everyday)
    tab_to("document.activeElement.id === 'to_account'")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # second account: the savings
    tab_to("document.activeElement.id === 'amount'")
    page.keyboard.type("10.00")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    bank.settle(page)
    assert page.get_by_role("heading", level=1).inner_text() == "Confirm your transfer"
    tab_to("document.activeElement.textContent.trim().startsWith('Send $')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    bank.settle(page)
    assert page.get_by_role("heading", level=1).inner_text() == "Transfer sent"


def test_transfer_works_with_javascript_disabled(new_context, admin_page):
    page = new_context(javascript=False)
    _funded_customer(page, admin_page, "Nora Noscript")
    bank.open_savings(page, "No script savings")
    bank.transfer_own(page, "Everyday", "No script savings", "25.00")
    bank.confirm_transfer(page, "$25.00")
    bank.go(page, "/")
    assert "$475.00" in page.locator("main").inner_text()
