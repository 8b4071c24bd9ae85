"""Every main page at phone and desktop width: no sideways scrolling, screenshots, axe-core,
and a <title> of its own (a tab or a screen reader's page list tells them apart).

One customer with some history (two accounts, a payee, a schedule) is built once for
the module through the pages themselves; each test then walks the main pages with it.
Screenshots land in test-artifacts/screenshots as `<page>-<width>.png`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import pytest

from tests.e2e import bank
from tests.e2e.conftest import DESKTOP, PHONE, setup_pages

CUSTOMER_PAGES = [
    ("dashboard", "/"),
    ("transfer-own", "/transfers/own"),
    ("transfer-pay", "/transfers/pay"),
    ("history", "/accounts/{checking}/history"),
    ("statement", "/accounts/{checking}/statement"),
    ("payees", "/payees"),
    ("schedules", "/schedules"),
    ("schedule-new", "/schedules/new"),
    ("open-account", "/accounts/open"),
    ("settings", "/accounts/{checking}/settings"),
    ("profile", "/auth/profile"),
]
ANONYMOUS_PAGES = [
    ("login", "/auth/login"),
    ("signup", "/auth/signup"),
    ("check-email", "/auth/signup/check-email"),
    ("forgot", "/auth/forgot"),
]
ADMIN_PAGES = [
    ("admin-overview", "/admin/"),
    ("admin-accounts", "/admin/accounts"),
    ("admin-users", "/admin/users"),
    ("admin-journal", "/admin/journal"),
    ("admin-account", "/admin/accounts/{checking}"),
    ("admin-audit", "/admin/audit"),
    ("admin-integrity", "/admin/integrity"),
    ("admin-jobs", "/admin/jobs"),
]


@pytest.fixture(scope="module")
def customer(browser, live_server):
    """A customer with a savings account, a payee, payments both ways and a schedule."""
    with setup_pages(browser, live_server) as context_page:
        admin, friend, page = context_page(), context_page(), context_page()
        bank.sign_in_admin(admin)
        email = bank.unique_email("screens")
        bank.sign_up(friend, "Frances Friend", bank.unique_email("friend"))
        friend_number = bank.account_number(friend, bank.first_account_id(friend))
        bank.sign_up(page, "Sam Screens", email)
        checking = bank.first_account_id(page)
        # 2,500.00 in deposits of at most the dual-control threshold (1,000.00), which an admin
        # may post alone; a larger one would wait for a second admin's approval.
        number = bank.account_number(page, checking)
        bank.admin_deposit(admin, number, "1000.00")
        bank.admin_deposit(admin, number, "1000.00", "Salary — Acme Ltd")
        bank.admin_deposit(admin, number, "500.00")
        # Spending elsewhere: the merchant is the title in history and on the dashboard.
        bank.admin_deposit(admin, number, "12.40", "Card purchase — Corner Café", withdrawal=True)
        bank.open_savings(page, "Holiday fund")
        bank.transfer_own(page, "Everyday", "Holiday fund", "300.00", memo="Summer trip")
        bank.confirm_transfer(page, "$300.00")
        bank.save_payee(page, "Frances", friend_number)
        bank.pay(page, "64.20", payee="Frances", memo="Concert tickets")
        bank.confirm_transfer(page, "$64.20")
        start = (date.today() + timedelta(days=3)).isoformat()
        bank.schedule_monthly(page, "Everyday", friend_number, "850.00", start)
        bank.go(admin, "/admin/integrity")  # a last result for the integrity page to show
        bank.press_submit(admin, "Run check now")
    return {"email": email, "checking": checking}


# Pages that always show money for this customer: the amount check must have measured some.
MONEY_PAGES = {"dashboard", "history", "statement", "admin-overview",
               "admin-accounts", "admin-journal", "admin-account"}  # fmt: skip


def _walk(page, pages, customer, *, axe: bool = False, suffix: str = "") -> dict[str, list]:
    """Visit each page (bank.go checks layout and that no amount wraps), shoot it, and
    collect axe findings when asked."""
    findings = {}
    for name, path in pages:
        bank.go(page, path.format(**customer))
        bank.shoot(page, name + suffix)
        if name in MONEY_PAGES:
            assert bank.amounts_on_one_line(page) > 0, f"{name}: no amount was measured"
        if axe:
            violations = bank.axe_violations(page)
            if violations:
                findings[name] = violations
    return findings


def _titles(page, pages, customer) -> dict[str, str]:
    titles = {}
    for name, path in pages:
        bank.go(page, path.format(**customer))
        titles[name] = page.title()
    return titles


def _sign_in(page, email: str) -> None:
    bank.sign_in(page, email)
    assert page.get_by_role("heading", level=1).inner_text() == "Your accounts"


def test_main_pages_fit_a_phone_without_browser_problems(new_context, customer):
    viewport = PHONE
    anonymous = new_context(viewport)
    _walk(anonymous, ANONYMOUS_PAGES, customer)
    anonymous.guard.expect_status(404, "/no-such-page")
    bank.go(anonymous, "/no-such-page")
    bank.shoot(anonymous, "not-found")

    page = new_context(viewport)
    _sign_in(page, customer["email"])
    _walk(page, CUSTOMER_PAGES, customer)

    admin = new_context(viewport)
    bank.sign_in_admin(admin)
    _walk(admin, ADMIN_PAGES, customer)


def test_main_pages_have_no_serious_accessibility_violations_at_desktop(new_context, customer):
    # axe is injected as an inline script, which the site's CSP rightly blocks; this one
    # context bypasses CSP (the other tests keep it on and fail on any violation).
    anonymous = new_context(DESKTOP, bypass_csp=True)
    findings = _walk(anonymous, ANONYMOUS_PAGES, customer, axe=True)
    page = new_context(DESKTOP, bypass_csp=True)
    _sign_in(page, customer["email"])
    findings |= _walk(page, CUSTOMER_PAGES, customer, axe=True)
    admin = new_context(DESKTOP, bypass_csp=True)
    bank.sign_in_admin(admin)
    findings |= _walk(admin, ADMIN_PAGES, customer, axe=True)
    assert not findings, findings


@pytest.mark.parametrize(
    ("viewport", "scheme"),
    [(PHONE, "light"), (DESKTOP, "dark"), (PHONE, "dark")],
    ids=["phone-light", "desktop-dark", "phone-dark"],
)
def test_main_pages_pass_axe_on_a_phone_and_in_dark_mode(new_context, customer, viewport, scheme):
    # The same guarantees in both colour schemes (prefers-color-scheme) and at 360 px, where
    # wide tables become stacked rows: no scrolling region is left without keyboard access
    # (axe's scrollable-region-focusable), and every text pair keeps its contrast.
    suffix = "-dark" if scheme == "dark" else ""
    findings = {}
    for who in ("anonymous", "customer", "admin"):
        page = new_context(viewport, bypass_csp=True, color_scheme=scheme)
        if who == "customer":
            _sign_in(page, customer["email"])
        elif who == "admin":
            bank.sign_in_admin(page)
        pages = {"anonymous": ANONYMOUS_PAGES, "customer": CUSTOMER_PAGES, "admin": ADMIN_PAGES}
        findings |= _walk(page, pages[who], customer, axe=True, suffix=suffix)
    if scheme == "dark":
        assert bank.page_is_dark(page), "the dark scheme did not apply"
    assert not findings, findings


def test_the_amount_check_catches_an_amount_that_wraps(new_context, customer):
    # The measurement every page goes through (bank.settle) must not be vacuous: squeeze an
    # amount into a box too narrow for it and the check must see two lines.
    page = new_context(PHONE)
    _sign_in(page, customer["email"])
    assert bank.amounts_on_one_line(page) > 0
    page.evaluate(
        """() => {
          const p = document.createElement('p');
          p.style.width = '2ch';
          p.textContent = '\u2212$4,930.90';
          document.querySelector('main').append(p);
        }"""
    )
    with pytest.raises(AssertionError, match="breaks amounts across lines"):
        bank.amounts_on_one_line(page)


def test_every_main_page_has_a_title_of_its_own(new_context, customer):
    anonymous = new_context(DESKTOP)
    titles = _titles(anonymous, ANONYMOUS_PAGES, customer)
    page = new_context(DESKTOP)
    _sign_in(page, customer["email"])
    titles |= _titles(page, CUSTOMER_PAGES, customer)
    admin = new_context(DESKTOP)
    bank.sign_in_admin(admin)
    titles |= _titles(admin, ADMIN_PAGES, customer)

    assert len(titles) == len(ANONYMOUS_PAGES) + len(CUSTOMER_PAGES) + len(ADMIN_PAGES)
    pages_by_title = defaultdict(list)
    for name, title in titles.items():
        assert title.removesuffix(" · Northwind Bank").strip(), f"{name} has no title of its own"
        pages_by_title[title].append(name)
    shared = {title: names for title, names in pages_by_title.items() if len(names) > 1}
    assert not shared, f"pages sharing a <title>: {shared}"


LONG_AMOUNTS = """<!doctype html><html lang="en"><head><title>Amounts · Northwind Bank</title>
<link rel="stylesheet" href="/static/css/app.css"></head><body><main class="site-main container">
<div class="grid">
  <section class="card"><h2>Money held</h2><p class="stat-label">Held for customers</p>
    <p class="balance">$149,959.93</p><p class="stat-label">System accounts total</p>
    <p class="balance">−$149,959.93</p></section>
  <section class="card"><h2>Customers</h2><p class="balance">1,234</p></section>
  <section class="card"><h2>Review</h2><p class="balance">0</p></section>
  <section class="card"><h2>Health</h2></section>
</div>
<section class="card"><h2>Summary</h2><div class="grid stats">
  <div><p class="stat-label">Opening balance</p><p class="balance">$22,361.94</p></div>
  <div><p class="stat-label">Money in</p><p class="balance credit">+$122,500.00</p></div>
  <div><p class="stat-label">Money out</p><p class="balance debit">−$104,930.90</p></div>
  <div><p class="stat-label">Closing balance</p><p class="balance">$39,931.04</p></div>
</div></section></main></body></html>"""

SPILLED_FIGURES = """() => [...document.querySelectorAll('.balance')].filter((e) => {
  const range = document.createRange();
  range.selectNodeContents(e);
  const box = e.closest('.card').getBoundingClientRect();
  return range.getBoundingClientRect().right > box.right + 0.5;
}).map((e) => e.textContent)"""


@pytest.mark.parametrize("width", [360, 700, 1000, 1280])
def test_long_amounts_stay_on_one_line_inside_their_cards(new_context, live_server, width):
    # The seeded customer's amounts are short; a bank's are not. The same figures the
    # statement and the admin overview show, six digits long, in the app's stylesheet.
    page = new_context({"width": width, "height": 800})
    bank.go(page, "/auth/login")  # the app's origin, so the stylesheet link resolves
    page.set_content(LONG_AMOUNTS, wait_until="load")
    assert bank.amounts_on_one_line(page) == 6
    assert page.evaluate(SPILLED_FIGURES) == []
    bank.shoot(page, "long-amounts")


def test_a_failed_form_puts_focus_on_its_error_summary(new_context, customer):
    """Keyboard users land on the list of problems, without any script on the page."""
    page = new_context(PHONE)
    _sign_in(page, customer["email"])
    page.guard.expect_status(400, "/auth/profile/name")  # the refused form, on purpose
    bank.go(page, "/auth/profile")
    page.get_by_label("Full name").fill("")
    bank.press_submit(page, "Save name")
    focused = page.evaluate("() => document.activeElement.className")
    assert "form-summary" in focused
