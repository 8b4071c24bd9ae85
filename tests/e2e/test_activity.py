"""What happened to my money, as a customer reads it (issue 16, items 2, 12 and 4).

- Say who, not how: the merchant, the person or "Your Rainy day" is the title of each
  movement on the dashboard, in history and in the CSV; the kind comes second.
- Dates, one way: lists are grouped under day headings, each row shows its time.
- Declined transfers stay in history ("Declined — not sent", with the reason), the
  filters find them, and the dashboard announces each decision until "Got it".

Screenshots at 1280 and 360 px: activity-dashboard, activity-history,
declined-dashboard, declined-history (test-artifacts/screenshots).
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.e2e import bank
from tests.e2e.conftest import DESKTOP, PHONE

DAY_HEADINGS = "tr.day-row th[scope=rowgroup]"


@pytest.fixture
def admin_page(new_context):
    page = new_context()
    bank.sign_in_admin(page)
    return page


def _customer(page, admin_page, name: str, deposits: int) -> tuple[str, str]:
    email = bank.unique_email(name.split()[0].lower())
    bank.sign_up(page, name, email)
    number = bank.account_number(page, bank.first_account_id(page))
    # At most the dual-control threshold (1,000.00) per deposit: one admin may post it.
    for _ in range(deposits):
        bank.admin_deposit(admin_page, number, "1000.00", "Salary — Acme Ltd")
    return email, number


def _titles(page) -> list[str]:
    return [t.strip() for t in page.locator("tbody .row-title").all_inner_texts()]


def _views(new_context, email: str, *, axe: bool = False):
    """The customer signed in at each width (and colour scheme, for axe)."""
    schemes = ("light", "dark") if axe else ("light",)
    for viewport in (DESKTOP, PHONE):
        for scheme in schemes:
            view = new_context(viewport, bypass_csp=axe, color_scheme=scheme)
            bank.sign_in(view, email)
            yield view, scheme


def _check(view, scheme: str, name: str, path: str, *, axe: bool = False) -> None:
    bank.go(view, path)
    if scheme == "light":
        bank.shoot(view, name)
    if axe:
        # Away from whatever the last click left the pointer on: a hovered control is
        # not what a reader sees at rest (the screens suite checks pages untouched).
        view.mouse.move(0, 0)
        assert bank.axe_violations(view) == [], (name, scheme, view.viewport_size)


def test_every_page_says_who_and_groups_by_day(new_context, admin_page):
    page = new_context()
    email, number = _customer(page, admin_page, "Wendy Who", deposits=1)
    friend = new_context()
    _, friend_number = _customer(friend, admin_page, "Frank Friend", deposits=0)
    bank.admin_deposit(admin_page, number, "12.40", "Card purchase — Corner Café", withdrawal=True)
    bank.open_savings(page, "Rainy day")
    bank.transfer_own(page, "Everyday", "Rainy day", "100.00", memo="Saving up")
    bank.confirm_transfer(page, "$100.00")
    bank.pay(page, "20.00", number=friend_number, memo="Lunch")
    bank.confirm_transfer(page, "$20.00")
    checking = bank.first_account_id(page)

    # History: the other side first, the kind second; no "External cash" anywhere.
    bank.go(page, f"/accounts/{checking}/history")
    titles = _titles(page)
    assert titles[:4] == ["F*** F*** ••••" + friend_number[-4:], "Your Rainy day",
                          "Corner Café", "Acme Ltd"], titles  # fmt: skip
    main = page.locator("main").inner_text()
    assert "External cash" not in main and "Withdrawal · Card purchase" in main
    # One day heading (all of it happened today), then times of day only.
    assert page.locator(DAY_HEADINGS).all_inner_texts() == ["Today"]
    times = page.locator("tbody td.cell-date").all_inner_texts()
    assert all(re.fullmatch(r"\d{1,2}:\d\d\s?[AP]M", t.strip()) for t in times), times

    # The dashboard's recent activity: the same titles, the same heading.
    bank.go(page, "/")
    recent = _titles(page)
    assert "Corner Café" in recent and "Your Rainy day" in recent
    assert "Your Everyday checking" in recent or any(t.startswith("Your ") for t in recent)
    assert page.locator(DAY_HEADINGS).first.inner_text() == "Today"

    # The CSV: the same counterparty column.
    bank.go(page, f"/accounts/{checking}/history")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    content = download_info.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(content)))
    by_memo = {row["Memo"]: row["Counterparty"] for row in rows}
    assert by_memo["Card purchase — Corner Café"] == "Corner Café"
    assert by_memo["Saving up"] == "Your Rainy day"

    for view, scheme in _views(new_context, email, axe=True):
        _check(view, scheme, "activity-dashboard", "/", axe=True)
        _check(view, scheme, "activity-history", f"/accounts/{checking}/history", axe=True)


def _held_payment(page, number: str, amount: str, memo: str) -> int:
    bank.pay(page, amount, number=number, memo=memo)
    bank.press_submit(page, f"Send ${amount}")
    assert bank.heading(page) == "Your transfer awaits review"
    return int(re.search(r"/transfers/(\d+)", page.url).group(1))


def test_a_declined_transfer_stays_in_history_and_is_announced_until_seen(new_context, admin_page):
    page = new_context()
    # Above the review threshold (5,000.00): six deposits of 1,000.00.
    email, _ = _customer(page, admin_page, "Dora Declined", deposits=6)
    friend = new_context()
    _, friend_number = _customer(friend, admin_page, "Pat Payee", deposits=0)

    declined = _held_payment(page, friend_number, "5,100.00", "Used car")
    bank.admin_decide_review(
        admin_page, declined, approve=False, reason="We could not verify the payee"
    )

    # Announced on the dashboard, with the reason, until seen.
    bank.go(page, "/")
    notice = page.get_by_test_id("announcements")
    assert "Declined — not sent" in notice.text_content()
    assert "We could not verify the payee" in notice.text_content()
    # Still in history, findable by the filter and by the search.
    checking = bank.first_account_id(page)
    bank.go(page, f"/accounts/{checking}/history")
    row = page.locator("tr.declined")
    assert row.count() == 1 and "Declined — not sent" in row.text_content()
    assert "We could not verify the payee" in row.text_content()
    assert "not in balance" in row.text_content()
    bank.go(page, f"/accounts/{checking}/history?direction=declined")
    assert page.locator("tr.declined").count() == 1
    assert page.locator("tbody tr:not(.day-row):not(.declined)").count() == 0
    bank.go(page, f"/accounts/{checking}/history?q=used+car")
    assert page.locator("tr.declined").count() == 1

    # An approved one is announced too, next to the declined one.
    approved = _held_payment(page, friend_number, "5,100.00", "Second car")
    bank.admin_decide_review(admin_page, approved, approve=True, reason="Checked by phone")
    bank.go(page, "/")
    notice = page.get_by_test_id("announcements")
    assert f"announcement-{approved}" in notice.inner_html()
    assert f"announcement-{declined}" in notice.inner_html()
    assert "Approved — sent" in notice.text_content()

    for view, scheme in _views(new_context, email, axe=True):
        _check(view, scheme, "declined-dashboard", "/", axe=True)
        _check(view, scheme, "declined-history", f"/accounts/{checking}/history", axe=True)

    # "Got it": gone, and it stays gone.
    bank.go(page, "/")
    bank.click_and_settle(page, page.get_by_role("button", name=re.compile("^Got it")))
    assert page.get_by_test_id("announcements").count() == 0
    bank.go(page, "/")
    assert page.get_by_test_id("announcements").count() == 0
    bank.go(page, f"/accounts/{checking}/history")
    assert page.locator("tr.declined").count() == 1  # history keeps it
