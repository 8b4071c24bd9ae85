"""A savings goal in Chromium (issue 17, item 7): set from the dashboard's link on the
savings card, then its progress bar, its words and the monthly amount on the dashboard,
at 1280 and 360 px, light and dark, with no serious axe finding. Screenshots land in
test-artifacts/screenshots (savings-goal-*, savings-settings-*).
"""

from __future__ import annotations

import re
from datetime import date

from tests.e2e import bank
from tests.e2e.conftest import DESKTOP, PHONE

SIZES = [(DESKTOP, "light"), (DESKTOP, "dark"), (PHONE, "light"), (PHONE, "dark")]


def _no_axe_findings(page) -> None:
    violations = bank.axe_violations(page)
    assert not violations, violations


def _saver(new_context) -> tuple[str, int]:
    """A new customer with a "Holiday fund" savings account holding $1,200.00."""
    admin, page = new_context(DESKTOP), new_context(DESKTOP)
    bank.sign_in_admin(admin)
    email = bank.unique_email("saver")
    bank.sign_up(page, "Sunita Saver", email)
    bank.open_savings(page, "Holiday fund")
    bank.go(page, "/")
    link = page.get_by_role("link", name="Set a goal for Holiday fund")
    savings = int(re.search(r"/accounts/(\d+)/", link.get_attribute("href")).group(1))
    number = bank.account_number(page, savings)
    bank.admin_deposit(admin, number, "1000.00")
    bank.admin_deposit(admin, number, "200.00")
    return email, savings


def test_set_a_goal_and_see_its_progress_on_the_dashboard(new_context):
    email, savings = _saver(new_context)
    target_year = date.today().year + 1
    page = new_context(DESKTOP, bypass_csp=True)
    bank.sign_in(page, email)

    # From the dashboard card's link to the goal form on the account's settings page.
    bank.click_and_settle(page, page.get_by_role("link", name="Set a goal for Holiday fund"))
    assert bank.heading(page).startswith("Holiday fund")
    page.get_by_label("Target amount").fill("50")
    page.get_by_label("Reach it by (optional)").fill("2020-01-01")  # in the past: refused
    page.guard.expect_status(400, f"/accounts/{savings}/goal")
    bank.press_submit(page, "Set goal")
    assert "Choose a target date in the future." in page.locator("main").inner_text()
    page.get_by_label("Target amount").fill("5,000.00")
    page.get_by_label("Reach it by (optional)").fill(f"{target_year}-06-01")
    bank.press_submit(page, "Set goal")
    page.get_by_text("Your savings goal is saved.").wait_for()
    assert "Interest rate 1.50 % a year" in page.locator("main").inner_text()

    for viewport, scheme in SIZES:
        view = new_context(viewport, bypass_csp=True, color_scheme=scheme)
        bank.sign_in(view, email)
        card = view.get_by_test_id(f"goal-{savings}")
        bar = card.get_by_role("progressbar", name="Savings goal progress for Holiday fund")
        assert bar.get_attribute("value") == "24"
        words = card.inner_text()
        assert f"$1,200.00 of $5,000.00 · 24 % · by Jun 1, {target_year}" in words
        assert re.search(r"Save \$[\d,]+\.\d\d a month to reach it\.", words)
        assert (scheme == "dark") == bank.page_is_dark(view)
        suffix = "-dark" if scheme == "dark" else ""
        bank.shoot(view, "savings-goal" + suffix)
        _no_axe_findings(view)
        bank.go(view, f"/accounts/{savings}/settings")
        bank.shoot(view, "savings-settings" + suffix)
        _no_axe_findings(view)

    # Removing it takes the bar off the dashboard.
    bank.go(page, f"/accounts/{savings}/settings")
    bank.press_submit(page, "Remove goal")
    bank.go(page, "/")
    assert page.get_by_test_id(f"goal-{savings}").count() == 0
