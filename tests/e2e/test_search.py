"""Search from the header (issue 17, item 6), in Chromium at 1280 and 360 px.

Wide screens type in the header's box; a phone taps the header's search icon and types
on the search page. Either way the results are grouped by day, the header stays one short
row, nothing scrolls sideways, and axe finds nothing in either colour scheme.
"""

from __future__ import annotations

import pytest

from tests.e2e import bank
from tests.e2e.conftest import DESKTOP, PHONE, setup_pages

FRAME = """() => ({
  viewport: window.innerHeight,
  header: document.querySelector('.site-header').getBoundingClientRect().height,
  sideways: document.documentElement.scrollWidth > window.innerWidth,
})"""


@pytest.fixture(scope="module")
def customer(browser, live_server):
    """A customer with a deposit, a savings account and a transfer with a memo."""
    with setup_pages(browser, live_server) as context_page:
        admin, page = context_page(), context_page()
        bank.sign_in_admin(admin)
        email = bank.unique_email("search")
        bank.sign_up(page, "Sam Search", email)
        number = bank.account_number(page, bank.first_account_id(page))
        bank.admin_deposit(admin, number, "800.00")
        bank.open_savings(page, "Holiday fund")
        bank.transfer_own(page, "Everyday", "Holiday fund", "42.50", memo="Summer trip")
        bank.confirm_transfer(page, "$42.50")
    return {"email": email}


def _results(page) -> None:
    assert bank.heading(page) == "Search your accounts"
    table = page.locator('[data-testid="search-results"]')
    assert table.is_visible()
    # One day heading (the transfer was made today), then both sides of the move.
    assert table.locator("tr.day-row").count() == 1
    assert table.locator("tr.day-row").first.inner_text().strip() == "Today"
    assert table.get_by_text("Summer trip").count() >= 1
    frame = page.evaluate(FRAME)
    assert frame["header"] <= 0.15 * 740, frame
    assert not frame["sideways"], frame


def test_search_from_the_header_on_a_wide_screen(new_context, customer):
    page = new_context(DESKTOP)
    bank.sign_in(page, customer["email"])
    box = page.get_by_role("search").get_by_label("Search your accounts")
    assert box.is_visible()
    assert page.evaluate(FRAME)["header"] <= 0.15 * 740
    box.fill("summer")
    bank.click_and_settle(page, page.locator(".header-search-button"))
    _results(page)
    assert "q=summer" in page.url
    bank.shoot(page, "search-desktop")


def test_search_by_amount_from_the_search_page_on_a_phone(new_context, customer):
    page = new_context(PHONE)
    bank.sign_in(page, customer["email"])
    assert not page.locator(".header-search").is_visible()  # no room: an icon instead
    link = page.get_by_role("link", name="Search your accounts")
    assert link.is_visible() and link.bounding_box()["height"] >= 44
    assert not page.evaluate(FRAME)["sideways"]
    bank.click_and_settle(page, link)
    page.locator("#search-q").fill("42.50")
    bank.click_and_settle(page, page.locator("main").get_by_role("button", name="Search"))
    _results(page)
    # Both sides of the move: out of checking, into the savings account.
    assert page.locator('[data-testid="search-results"] .cell-amount').count() == 2
    bank.shoot(page, "search-phone")


def test_a_refused_search_says_why(new_context, customer):
    page = new_context(PHONE)
    bank.sign_in(page, customer["email"])
    page.guard.expect_status(400, "/search")
    bank.go(page, "/search?q=x")
    error = page.locator(".field-error")
    assert error.is_visible() and "at least 2" in error.inner_text()
    assert page.locator("#search-q").get_attribute("aria-invalid") == "true"


@pytest.mark.parametrize(
    ("viewport", "scheme"),
    [(PHONE, "light"), (PHONE, "dark"), (DESKTOP, "light"), (DESKTOP, "dark")],
    ids=["phone-light", "phone-dark", "desktop-light", "desktop-dark"],
)
def test_search_results_pass_axe(new_context, customer, viewport, scheme):
    page = new_context(viewport, bypass_csp=True, color_scheme=scheme)
    bank.sign_in(page, customer["email"])
    bank.go(page, "/search?q=summer")
    assert bank.page_is_dark(page) == (scheme == "dark")
    bank.axe_violations(page)  # injects axe and writes every finding to the report
    findings = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map((v) => v.id + ' ' + v.impact + ' ' + v.nodes.map((n) => n.target).join(','))"
    )
    assert not findings, findings
    if viewport is DESKTOP:
        bank.shoot(page, f"search-{scheme}")
