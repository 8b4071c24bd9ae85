"""Categories and insights in Chromium (issue 17, items 1 and 2): a customer with card
purchases opens insights, changes a merchant's category from history, and sees insights
change; then undoes it. History, insights, the category form and the rules page at 1280
and 360 px, light and dark, with no serious axe finding. Screenshots land in
test-artifacts/screenshots (categories-*, insights-*).
"""

from __future__ import annotations

from tests.e2e import bank
from tests.e2e.conftest import DESKTOP, PHONE

SIZES = [(DESKTOP, "light"), (PHONE, "light"), (PHONE, "dark")]


def _no_axe_findings(page) -> None:
    violations = bank.axe_violations(page)
    assert not violations, violations


def _shopper(new_context) -> tuple[str, int]:
    """A new customer paid a salary, with coffee and groceries bought by card (each under
    the dual-control threshold: one admin posts it at once)."""
    admin, page = new_context(DESKTOP), new_context(DESKTOP)
    bank.sign_in_admin(admin)
    email = bank.unique_email("shopper")
    bank.sign_up(page, "Sam Shopper", email)
    account = bank.first_account_id(page)
    number = bank.account_number(page, account)
    bank.admin_deposit(admin, number, "900.00", "Salary — Initech")
    bank.admin_deposit(admin, number, "4.50", "Card purchase — Blue Bottle Coffee", withdrawal=True)
    bank.admin_deposit(admin, number, "60.00", "Card purchase — Corner Grocery", withdrawal=True)
    return email, account


def _spent(page, category: str) -> str | None:
    row = page.locator(f'tr[data-category="{category}"]')
    if row.count() == 0:
        return None
    return row.locator("td").first.inner_text().strip()


def test_categorise_a_merchant_and_see_insights_change(new_context):
    email, account = _shopper(new_context)
    page = new_context(DESKTOP, bypass_csp=True)
    bank.sign_in(page, email)

    bank.click_and_settle(page, page.get_by_role("link", name="Insights").first)
    assert bank.heading(page) == "Insights"
    assert _spent(page, "dining") == "$4.50" and _spent(page, "groceries") == "$60.00"
    assert page.get_by_test_id("income").inner_text() == "$900.00"

    # From the coffee's row in history to the rule's form.
    bank.go(page, f"/accounts/{account}/history")
    row = page.locator("tr").filter(has_text="Blue Bottle Coffee")
    assert "Dining" in row.inner_text()
    change = row.get_by_role("link", name="Change category of Blue Bottle Coffee")
    bank.click_and_settle(page, change)
    assert page.get_by_test_id("merchant").inner_text() == "Blue Bottle Coffee"
    page.get_by_label("Category", exact=True).select_option(label="Groceries")
    bank.press_submit(page, "Save")
    page.get_by_text("Blue Bottle Coffee is now under Groceries").wait_for()
    assert page.get_by_test_id("undo").is_visible()

    bank.go(page, "/insights")
    assert _spent(page, "dining") is None and _spent(page, "groceries") == "$64.50"
    bank.go(page, f"/accounts/{account}/history")
    assert "Groceries" in page.locator("tr").filter(has_text="Blue Bottle Coffee").inner_text()

    for viewport, scheme in SIZES:
        view = new_context(viewport, bypass_csp=True, color_scheme=scheme)
        bank.sign_in(view, email)
        suffix = ("-phone" if viewport == PHONE else "") + ("-dark" if scheme == "dark" else "")
        for path, name in (
            ("/insights", "insights"),
            (f"/accounts/{account}/history", "categories-history"),
            (f"/categories/rule?merchant=Corner+Grocery&account={account}", "categories-form"),
            ("/categories", "categories-rules"),
        ):
            bank.go(view, path)
            bank.shoot(view, name + suffix)
            _no_axe_findings(view)

    # Undo puts the coffee back under Dining, and insights with it.
    bank.go(page, "/categories?changed=Blue+Bottle+Coffee&was=")
    bank.press_submit(page, "Undo")
    page.get_by_text("Undone: Blue Bottle Coffee is back where it was.").wait_for()
    bank.go(page, "/insights")
    assert _spent(page, "dining") == "$4.50" and _spent(page, "groceries") == "$60.00"
