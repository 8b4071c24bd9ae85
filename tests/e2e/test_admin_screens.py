"""The admin pages at phone and desktop width (issue 16, item 18): one menu bar with the
current section marked (a "More" fold on a phone), owners beside account numbers, the
review queue's hold expiry, amounts like the customer's, the bank's own accounts apart,
and the audit log in sentences. Screenshots (`admin-*-<width>.png`, `-dark` for the dark
scheme) and axe in both schemes.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e import bank
from tests.e2e.conftest import DESKTOP, PHONE, setup_pages


@pytest.fixture(scope="module")
def held(browser, live_server):
    """A funded customer whose $5,100.00 payment to a friend is held for review."""
    with setup_pages(browser, live_server) as context_page:
        admin, friend, page = context_page(), context_page(), context_page()
        bank.sign_in_admin(admin)
        bank.sign_up(friend, "Frances Friend", bank.unique_email("admin-friend"))
        friend_number = bank.account_number(friend, bank.first_account_id(friend))
        bank.sign_up(page, "Harriet Held", bank.unique_email("admin-held"))
        checking = bank.first_account_id(page)
        number = bank.account_number(page, checking)
        # Deposits of at most the dual-control threshold (1,000.00): one admin may post them.
        for _ in range(6):
            bank.admin_deposit(admin, number, "1000.00")
        bank.admin_freeze(admin, friend_number)
        bank.admin_open_account(admin, friend_number)
        bank.click_and_settle(admin, admin.get_by_role("link", name="Unfreeze"))
        admin.get_by_label("Reason").fill("Checked with the customer")
        bank.press_submit(admin, "Continue")
        bank.click_and_settle(admin, admin.get_by_role("button", name=re.compile("^Confirm")))
        bank.pay(page, "5100.00", number=friend_number, memo="Deposit on a car")
        bank.press_submit(page, "Send $5,100.00")
        assert bank.heading(page) == "Your transfer awaits review"
        bank.go(admin, "/admin/reviews")
        link = admin.locator("table a[href^='/admin/journal/']").first
        transaction = int(link.get_attribute("href").rsplit("/", 1)[1])
    return {"checking": checking, "number": number, "friend": friend_number, "txn": transaction}


PAGES = [
    ("admin-overview", "/admin/"),
    ("admin-accounts", "/admin/accounts"),
    ("admin-journal", "/admin/journal"),
    ("admin-reviews", "/admin/reviews"),
    ("admin-approve", "/admin/reviews/{txn}/approve"),
    ("admin-transaction", "/admin/journal/{txn}"),
    ("admin-audit", "/admin/audit"),
    ("admin-pending", "/admin/pending"),
]


def _walk(page, held, suffix: str = "") -> dict[str, list]:
    findings = {}
    for name, path in PAGES:
        bank.go(page, path.format(**held))
        bank.shoot(page, name + suffix)
        violations = bank.axe_violations(page)
        if violations:
            findings[name] = violations
    return findings


@pytest.mark.parametrize(
    ("viewport", "scheme"),
    [(DESKTOP, "light"), (PHONE, "light"), (DESKTOP, "dark"), (PHONE, "dark")],
    ids=["desktop-light", "phone-light", "desktop-dark", "phone-dark"],
)
def test_admin_pages_pass_axe_at_both_widths_and_schemes(new_context, held, viewport, scheme):
    page = new_context(viewport, bypass_csp=True, color_scheme=scheme)
    bank.sign_in_admin(page)
    findings = _walk(page, held, "-dark" if scheme == "dark" else "")
    if scheme == "dark":
        assert bank.page_is_dark(page), "the dark scheme did not apply"
    assert not findings, findings


def _menu(page):
    return page.get_by_role("navigation", name="Main")


def test_one_menu_bar_marks_the_current_section_on_a_desktop(new_context, held):
    page = new_context(DESKTOP)
    bank.sign_in_admin(page)
    bank.go(page, "/admin/audit")
    assert page.get_by_role("navigation").count() == 2  # the menu and the pager: one bar
    menu = _menu(page)
    current = menu.locator('[aria-current="page"]:visible')
    assert current.all_inner_texts() == ["Audit log"]
    for label in ("Overview", "Users", "Accounts", "Journal", "Review queue", "Audit log"):
        assert menu.get_by_role("link", name=label, exact=True).is_visible(), label
    # Beside the account menu, the least-used sections fold under "More" below 1440 px.
    assert menu.get_by_role("link", name="Failed jobs", exact=True).is_hidden()
    more = menu.locator("summary", has_text="More")
    more.click()
    assert menu.get_by_role("link", name="Failed jobs", exact=True).is_visible()
    box = page.locator(".site-nav").bounding_box()
    assert box["height"] <= 56, f"the menu bar wraps: {box['height']}px"


def test_on_a_phone_the_menu_folds_under_more_and_stays_one_row(new_context, held):
    page = new_context(PHONE)
    bank.sign_in_admin(page)
    bank.go(page, f"/admin/journal/{held['txn']}")  # a section under "More"
    menu = _menu(page)
    nav = page.locator(".site-nav").bounding_box()
    assert nav["height"] <= 56, f"the menu bar wraps on a phone: {nav['height']}px"
    assert menu.get_by_role("link", name="Audit log").is_hidden()
    more = menu.locator("summary", has_text="More")
    assert more.get_attribute("class") == "is-current-2"
    more.click()
    current = menu.locator('[aria-current="page"]:visible')
    assert current.all_inner_texts() == ["Journal"]
    bank.shoot(page, "admin-menu-open")
    bank.click_and_settle(page, menu.get_by_role("link", name="Audit log"))
    assert bank.heading(page) == "Audit log"


def test_admin_pages_say_who_owns_what_and_when_holds_expire(new_context, held):
    page = new_context(DESKTOP)
    bank.sign_in_admin(page)
    bank.go(page, "/admin/reviews")
    row = page.locator("tr", has=page.get_by_role("link", name=f"#{held['txn']}", exact=True))
    text = row.inner_text()
    assert "Harriet Held" in text and "Frances Friend" in text and "$5,100.00" in text
    assert re.search(r"expires in (7|6) days", text), text

    bank.go(page, f"/admin/reviews/{held['txn']}/approve")
    summary = page.locator("dl.summary").inner_text()
    assert f"{held['number']} (Harriet Held)" in summary and "$5,100.00" in summary

    bank.go(page, "/admin/accounts")
    bank_table = page.get_by_test_id("bank-accounts")
    assert "External cash" in bank_table.inner_text()
    assert "External cash" not in page.get_by_test_id("customer-accounts").inner_text()

    bank.go(page, "/admin/audit?action=admin.account.freeze")
    told = page.locator(".audit-sentence").all_inner_texts()
    assert any(
        s.startswith(f"froze account ••••{held['friend'][-4:]}: reason “Suspicious") for s in told
    ), told
    bank.go(page, "/admin/audit?action=transfer.held")
    # Other journeys in this browser session hold transfers too: find this one's.
    told = [
        s
        for s in page.locator(".audit-sentence").all_inner_texts()
        if f"••••{held['number'][-4:]}" in s
    ]
    assert told == [
        f"sent $5,100.00 from ••••{held['number'][-4:]} to ••••{held['friend'][-4:]}; "
        "held for review"
    ], told
