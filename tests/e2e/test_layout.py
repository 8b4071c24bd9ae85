"""The page frame and the dashboard's figures, measured in Chromium at 360 and 1280 px.

Issue 16: the navigation is one compact bar with the current page marked; the chart's
text is legible and its axes start at zero; the full account number can be copied from
the dashboard and the history page; a new customer is told how to fund their account;
the statement's month picker stays small and its printed copy says whose it is.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e import bank, pdf_text
from tests.e2e.conftest import DESKTOP, PHONE, setup_pages

WIDTHS = [PHONE, DESKTOP]
WIDTH_IDS = ["phone", "desktop"]


@pytest.fixture(scope="module")
def customer(browser, live_server):
    """A customer with a month of activity (deposits, a savings account, a transfer)."""
    with setup_pages(browser, live_server) as context_page:
        admin, page = context_page(), context_page()
        bank.sign_in_admin(admin)
        email = bank.unique_email("layout")
        bank.sign_up(page, "Lena Layout", email)
        checking = bank.first_account_id(page)
        number = bank.account_number(page, checking)
        for amount in ("1000.00", "900.00"):
            bank.admin_deposit(admin, number, amount)
        bank.open_savings(page, "Holiday fund")
        bank.transfer_own(page, "Everyday", "Holiday fund", "300.00", memo="Summer trip")
        bank.confirm_transfer(page, "$300.00")
    return {"email": email, "checking": checking, "number": number}


def _signed_in(new_context, customer, viewport, **options):
    page = new_context(viewport, **options)
    bank.sign_in(page, customer["email"])
    assert bank.heading(page) == "Your accounts"
    return page


# 7. Navigation ------------------------------------------------------------------------------
FRAME = """() => {
  const box = (selector) => {
    const e = document.querySelector(selector);
    if (!e) return null;
    const r = e.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, height: r.height,
            position: getComputedStyle(e).position};
  };
  return {viewport: window.innerHeight, header: box('.site-header'), tabs: box('.site-nav')};
}"""

SECTIONS = [
    ("/", "Accounts"),
    ("/accounts/{checking}/history", "Accounts"),
    ("/transfers/own", "Move money"),
    ("/payees", "Payees"),
    ("/schedules", "Scheduled"),
]


@pytest.mark.parametrize("viewport", WIDTHS, ids=WIDTH_IDS)
def test_navigation_is_one_compact_bar_that_marks_the_current_page(new_context, customer, viewport):
    page = _signed_in(new_context, customer, viewport)
    for path, current in SECTIONS:
        bank.go(page, path.format(**customer))
        frame = page.evaluate(FRAME)
        # The header (brand, sections on wide screens, the person's menu) is one short row.
        assert frame["header"]["height"] <= 0.15 * frame["viewport"], frame
        if viewport is PHONE:
            # The sections are a tab bar fixed to the bottom of the screen, thumb-high, and
            # the two together still leave 85 % of the screen to the page.
            tabs = frame["tabs"]
            assert tabs["position"] == "fixed", frame
            assert tabs["height"] <= 64 and abs(tabs["bottom"] - frame["viewport"]) < 1, frame
            assert frame["header"]["height"] + tabs["height"] <= 0.15 * frame["viewport"], frame
        else:
            # One row: the sections sit inside the header.
            assert frame["tabs"]["bottom"] <= frame["header"]["bottom"], frame
        marked = page.locator('nav[aria-label="Main"] [aria-current="page"]')
        assert marked.count() == 1 and marked.inner_text().strip() == current, path
        # Every section is reachable in one tap, at least 44 px high.
        for link in page.locator('nav[aria-label="Main"] a').all():
            assert link.is_visible()
            assert link.bounding_box()["height"] >= 44
    bank.shoot(page, "nav-payees")


def test_the_account_menu_works_without_javascript(new_context, customer):
    page = new_context(PHONE, javascript=False)
    bank.sign_in(page, customer["email"])
    sign_out = page.get_by_role("button", name="Sign out", exact=True)
    assert not sign_out.is_visible()  # folded away in the menu
    page.locator("details.account-menu > summary").click()
    assert sign_out.is_visible()
    bank.click_and_settle(page, page.get_by_role("link", name="Profile", exact=True))
    assert bank.heading(page) != "Your accounts"
    summary = page.locator("details.account-menu > summary")
    assert "is-current" in summary.get_attribute("class")  # the profile is marked as current
    assert page.locator('.account-menu [aria-current="page"]').text_content() == "Profile"
    bank.sign_out(page)


def test_the_account_menu_closes_with_escape_and_a_click_elsewhere(new_context, customer):
    page = _signed_in(new_context, customer, DESKTOP)
    menu = page.locator("details.account-menu")
    menu.locator("summary").click()
    assert menu.get_attribute("open") is not None
    bank.shoot(page, "account-menu")
    page.keyboard.press("Escape")
    assert menu.get_attribute("open") is None
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    menu.locator("summary").click()
    page.locator("h1").click()
    assert menu.get_attribute("open") is None


# 10. The chart --------------------------------------------------------------------------------
# Each text of the chart as rendered: its font size in CSS pixels once the SVG is scaled to
# the page (font size × the screen matrix's scale), and its bounding box's height.
CHART_TEXT = """() => [...document.querySelectorAll('svg.balance-chart text')].map((t) => {
  const box = t.getBoundingClientRect();
  const scale = t.getScreenCTM().a;
  const chart = t.ownerSVGElement.getBoundingClientRect();
  return {text: t.textContent, size: parseFloat(getComputedStyle(t).fontSize) * scale,
          height: box.height, left: box.left - chart.left, right: chart.right - box.right};
})"""


@pytest.mark.parametrize("viewport", WIDTHS, ids=WIDTH_IDS)
def test_the_chart_is_legible_has_axes_from_zero_and_dates_like_the_app(
    new_context, customer, viewport
):
    page = _signed_in(new_context, customer, viewport)
    chart = page.locator("svg.balance-chart")
    # Right under the accounts, not last on the page.
    following = page.locator(".account-card").last.evaluate(
        "(card) => !!(card.compareDocumentPosition(document.querySelector('svg.balance-chart'))"
        " & Node.DOCUMENT_POSITION_FOLLOWING)"
    )
    assert following
    assert chart.locator("xpath=ancestor::section").evaluate(
        "(s) => s.nextElementSibling !== null"
    ), "the chart section must not be the last thing on the dashboard"
    texts = page.evaluate(CHART_TEXT)
    assert texts, "the chart has no text"
    for text in texts:
        assert text["size"] >= 12 and text["height"] >= 12, text
        assert text["left"] >= -0.5 and text["right"] >= -0.5, text  # none is cut off
    labels = [t["text"] for t in texts]
    # Both y axes start at zero, with round amounts; the balance axis reaches the top.
    assert labels.count("$0") == 2, labels
    assert "$2,000" in labels, labels
    # Dates as the app writes them in its locale ("Dec 1"), never ISO ("2026-12-01").
    assert not [label for label in labels if re.fullmatch(r"\d{4}-\d{2}-\d{2}", label)]
    assert sum(bool(re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}", label)) for label in labels) == 5
    # The text alternative stays: a title and a description the image is labelled by.
    assert chart.get_attribute("role") == "img"
    described = chart.evaluate(
        "(svg) => svg.getAttribute('aria-labelledby').split(' ')"
        ".map((id) => document.getElementById(id).textContent).join(' ')"
    )
    assert "$2,200.00 in" in described and "balance went from $0.00 to $1,900.00" in described
    bank.shoot(page, "dashboard-chart")


# 6. Account details and a new customer's first steps ---------------------------------------
def _copy_and_read(page, button) -> str:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    button.click()
    button.locator(".copy-label").filter(has_text="Copied").wait_for()  # what is seen
    return page.evaluate("navigator.clipboard.readText()")


@pytest.mark.parametrize("viewport", WIDTHS, ids=WIDTH_IDS)
def test_the_account_number_can_be_copied_from_the_dashboard_and_history(
    new_context, customer, viewport
):
    page = _signed_in(new_context, customer, viewport)
    number = page.locator(f"#number-{customer['checking']}")
    assert number.inner_text().replace(" ", "").replace("\n", "") == customer["number"]
    button = page.get_by_role("button", name="Copy the account number of Everyday")
    assert button.bounding_box()["height"] >= 44
    assert _copy_and_read(page, button) == customer["number"]
    assert page.get_by_role("status").filter(has_text="Account number copied.").count() == 1
    bank.shoot(page, "dashboard-account-details")

    bank.go(page, f"/accounts/{customer['checking']}/history")
    button = page.get_by_role("button", name=re.compile("^Copy the account number"))
    page.evaluate("navigator.clipboard.writeText('')")
    assert _copy_and_read(page, button) == customer["number"]
    bank.shoot(page, "history")


def test_without_javascript_the_number_is_plain_selectable_text(new_context, customer):
    page = new_context(PHONE, javascript=False)
    bank.sign_in(page, customer["email"])
    number = page.locator(f"#number-{customer['checking']}")
    assert number.is_visible()
    assert page.locator("button.copy-button").first.is_hidden()  # a button that can't work


@pytest.mark.parametrize("viewport", WIDTHS, ids=WIDTH_IDS)
def test_a_new_customer_is_shown_how_to_fund_their_account(new_context, viewport):
    page = new_context(viewport)
    bank.sign_up(page, "Nina New", bank.unique_email("new"))
    welcome = page.get_by_test_id("welcome")
    assert welcome.get_by_role("heading", name="Add money to get started").is_visible()
    number = welcome.locator(".account-number").inner_text()
    assert re.fullmatch(r"\d{12}", re.sub(r"\s", "", number))
    assert welcome.get_by_role("link", name="Open a savings account").is_visible()
    # No $0.00 headline and no flat chart.
    assert page.locator(".headline").count() == 0
    assert page.locator("svg.balance-chart").count() == 0
    bank.shoot(page, "dashboard-new-customer")


# 14. Statements ---------------------------------------------------------------------------------
@pytest.mark.parametrize("viewport", WIDTHS, ids=WIDTH_IDS)
def test_the_statement_leads_with_its_summary_and_prints_whose_it_is(
    new_context, customer, viewport
):
    page = _signed_in(new_context, customer, viewport)
    bank.go(page, f"/accounts/{customer['checking']}/statement")
    summary = page.locator("section.statement-summary")
    # The month picker no longer fills the first screen: the summary starts in its top half.
    assert summary.bounding_box()["y"] < 0.5 * viewport["height"]
    assert page.locator("details.month-picker").get_attribute("open") is None
    # Print and Download CSV sit with the summary.
    assert summary.get_by_role("button", name="Print").is_visible()
    assert summary.get_by_role("link", name="Download CSV").is_visible()
    header = page.get_by_test_id("print-header")
    assert header.is_hidden()  # on screen the page header says enough
    bank.shoot(page, "statement")

    page.emulate_media(media="print")
    assert header.is_visible()
    text = header.inner_text()
    assert "Lena Layout" in text and customer["number"] in text
    assert re.search(r"Period\s+\w+ 1, \d{4} to \w+ \d{2}, \d{4}", text), text
    assert re.search(r"Issued\s+\w+ \d{1,2}, \d{4}", text), text
    for screen_only in ("details.account-menu", "nav.period-nav", "button[data-print]"):
        assert page.locator(screen_only).first.is_hidden(), screen_only
    bank.shoot(page, "statement-print")
    if viewport is DESKTOP:
        # The PDF Chromium prints: page numbers from print.css's @page margin box, and the
        # header's facts on paper.
        pdf = page.pdf(format="A4")
        (bank.SCREENSHOTS / "statement.pdf").write_bytes(pdf)
        runs = pdf_text.text_runs(pdf)
        for expected in ("Page 1 of 1", "Statement of account", "Lena Layout", customer["number"]):
            assert any(expected in run for run in runs), (expected, runs)
        issued = re.search(r"Issued\s+(\w+ \d{1,2}, \d{4})", text).group(1)
        # (The label is bold, the date regular: two fonts, so two runs.)
        assert any("Issued" in run for run in runs) and any(issued in run for run in runs)
    page.emulate_media(media="screen")
    page.locator("details.month-picker > summary").click()  # opens without script
    assert page.get_by_label("Month", exact=True).is_visible()
    bank.shoot(page, "statement-month-picker")


@pytest.mark.parametrize("path", ["/auth/login", "/auth/signup", "/auth/forgot"])
def test_the_signed_out_header_stays_compact_on_a_phone(new_context, path):
    page = new_context(PHONE)
    bank.go(page, path)
    frame = page.evaluate(FRAME)
    assert frame["header"]["height"] <= 0.15 * frame["viewport"], frame
    # Each way in is one unbroken line ("Open an account" never splits inside its pill).
    for link in page.locator(".session a").all():
        if link.is_visible():
            box = link.bounding_box()
            assert box["height"] <= 44, (link.inner_text(), box)
    bank.shoot(page, "signed-out-" + path.rsplit("/", 1)[1])


@pytest.mark.parametrize(
    ("viewport", "scheme"),
    [(PHONE, "light"), (PHONE, "dark"), (DESKTOP, "dark")],
    ids=["phone-light", "phone-dark", "desktop-dark"],
)
def test_first_steps_the_open_menu_and_the_month_picker_pass_axe(new_context, viewport, scheme):
    # States the page walk in test_screens.py does not reach: a new customer's dashboard,
    # the account menu open, the statement's month picker open. Every finding, any impact.
    page = new_context(viewport, bypass_csp=True, color_scheme=scheme)
    bank.sign_up(page, "Axel Axe", bank.unique_email("axe"))
    page.locator("details.account-menu > summary").click()
    findings = _all_axe_findings(page)
    bank.go(page, f"/accounts/{bank.first_account_id(page)}/statement")
    page.locator("details.month-picker > summary").click()
    findings += _all_axe_findings(page)
    assert not findings, findings


def _all_axe_findings(page) -> list:
    bank.axe_violations(page)  # injects axe and writes every finding to the report
    return page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map((v) => v.id + ' ' + v.impact + ' ' + v.nodes.map((n) => n.target).join(','))"
    )
