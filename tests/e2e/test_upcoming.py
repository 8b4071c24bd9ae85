"""See an upcoming payment's overdraft warning (issue 17, item 3) in Chromium: a customer with
$500.00 in checking schedules a $620.00 monthly rent; the dashboard says, in words and
near the top, that it would take the account $120.00 below zero, lists it under "Coming
up" and shows the month-end projection; at 1280 and 360 px, light and dark, with no
serious axe finding. Pausing the rent takes the warning away. Screenshots land in
test-artifacts/screenshots (upcoming-warning-*).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from tests.e2e import bank
from tests.e2e.conftest import DESKTOP, PHONE

SIZES = [(DESKTOP, "light"), (DESKTOP, "dark"), (PHONE, "light"), (PHONE, "dark")]
WARNING = re.compile(r"Rent on (.+?) would take Everyday checking \$120\.00 below zero\.")


def _no_axe_findings(page) -> None:
    violations = bank.axe_violations(page)
    assert not violations, violations


def _renter(new_context) -> tuple[str, str]:
    """Rita Renter with $500.00 in checking, and her landlord's account number."""
    admin, landlord, page = new_context(DESKTOP), new_context(DESKTOP), new_context(DESKTOP)
    bank.sign_in_admin(admin)
    bank.sign_up(landlord, "Larry Landlord", bank.unique_email("landlord"))
    landlord_number = bank.account_number(landlord, bank.first_account_id(landlord))
    email = bank.unique_email("renter")
    bank.sign_up(page, "Rita Renter", email)
    bank.admin_deposit(admin, bank.account_number(page, bank.first_account_id(page)), "500.00")
    return email, landlord_number


def _schedule_rent(page, landlord_number: str, start: date) -> None:
    bank.go(page, "/schedules/new")
    page.get_by_label("Or to account number").fill(landlord_number)
    page.get_by_label("Amount").fill("620.00")
    page.get_by_label("Memo (optional)").fill("Rent")
    page.get_by_label("How often").select_option(label="Every month")
    page.get_by_label("First payment on").fill(start.isoformat())
    bank.press_submit(page, "Schedule transfer")
    assert bank.heading(page) == "Scheduled transfers"


def test_see_an_upcoming_payments_overdraft_warning(new_context):
    email, landlord_number = _renter(new_context)
    page = new_context(DESKTOP, bypass_csp=True)
    bank.sign_in(page, email)
    start = date.today() + timedelta(days=3)
    _schedule_rent(page, landlord_number, start)

    bank.go(page, "/")
    alert = page.get_by_role("alert")
    found = WARNING.search(alert.inner_text())
    assert found, alert.inner_text()
    if start.day <= 28:  # otherwise monthly means the month's last day
        assert found.group(1) == f"{start:%b} {start.day}, {start.year}"
    assert "It has no overdraft, so the payment will not be sent" in alert.inner_text()
    coming_up = page.get_by_test_id("coming-up")
    assert "Rent" in coming_up.inner_text() and "$620.00" in coming_up.inner_text()
    # Nothing moved: the balance is still $500.00.
    assert "$500.00" in page.get_by_role("article").first.inner_text()

    for viewport, scheme in SIZES:
        view = new_context(viewport, bypass_csp=True, color_scheme=scheme)
        bank.sign_in(view, email)
        assert WARNING.search(view.get_by_role("alert").inner_text())
        assert view.get_by_role("alert").is_visible()
        assert view.get_by_test_id("coming-up").is_visible()
        suffix = "-dark" if scheme == "dark" else ""
        bank.shoot(view, "upcoming-warning" + suffix)
        _no_axe_findings(view)

    # Paused, the rent no longer runs: the warning goes, and nothing is coming up.
    bank.go(page, "/schedules")
    bank.press_submit(page, "Pause transfer of $620.00 to " + _masked(landlord_number))
    bank.go(page, "/")
    assert page.get_by_role("alert").count() == 0
    assert "No scheduled transfers in the next 30 days." in (
        page.get_by_test_id("coming-up").inner_text()
    )


def _masked(number: str) -> str:
    return f"••••{number[-4:]}"
