"""The everyday pay path in Chromium (issue 16: items 3, 9, 11 and the schedule form).

Paying a saved payee again in three steps from the dashboard; a confirm page that names
the payee and makes the amount its headline; Edit that keeps what was typed; Pay again
from history; 44 px tap targets on the main pages at 360 px; the payees row menu; the
schedule form that shows only the fields that apply (and all of them without script).
Screenshots at 1280 and 360 px land in test-artifacts/screenshots.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e import bank
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.test_screens import _sign_in, customer  # noqa: F401 - the module's customer

SIZES = [(DESKTOP, "light"), (PHONE, "light"), (PHONE, "dark")]
SIZE_IDS = ["desktop", "phone", "phone-dark"]


def _suffix(viewport, scheme: str) -> str:
    return "-dark" if scheme == "dark" else ""


def _chosen(page, label: str) -> str:
    """The text of the selected option of the select labelled `label`."""
    return page.get_by_label(label, exact=True).evaluate(
        "(s) => s.selectedIndex < 0 ? '' : s.options[s.selectedIndex].text.trim()"
    )


# The largest rendered text in <main>, and the element that has it.
LARGEST_TEXT = """() => {
  let best = {size: 0, id: ''};
  for (const el of document.querySelectorAll('main *')) {
    const hasText = [...el.childNodes].some((n) => n.nodeType === 3 && n.data.trim());
    if (!hasText || !el.getClientRects().length) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size > best.size) best = {size, id: el.dataset.testid || el.tagName.toLowerCase()};
    else if (size === best.size && el.dataset.testid !== 'amount') best.tie = el.tagName;
  }
  return best;
}"""


def _no_axe_findings(page) -> None:
    violations = bank.axe_violations(page)
    assert not violations, violations


@pytest.mark.parametrize(("viewport", "scheme"), SIZES, ids=SIZE_IDS)
def test_pay_a_saved_payee_again_from_the_dashboard(new_context, customer, viewport, scheme):  # noqa: F811
    # axe is injected as a script, which the CSP blocks; this context bypasses it (the
    # other tests below keep it on).
    page = new_context(viewport, bypass_csp=True, color_scheme=scheme)
    suffix = _suffix(viewport, scheme)
    _sign_in(page, customer["email"])

    # 1. The dashboard lists the payee with a Pay button.
    recent = page.get_by_test_id("recent-payees")
    assert "Frances" in recent.inner_text()
    bank.shoot(page, "pay-dashboard" + suffix)
    _no_axe_findings(page)
    bank.click_and_settle(page, recent.get_by_role("link", name="Pay Frances"))

    # 2. The form opens with the payee and the account last used for it chosen; the From
    #    list says what each account can spend.
    assert bank.heading(page) == "Pay someone"
    assert _chosen(page, "Saved payee").startswith("Frances")
    assert re.match(r"Everyday .*•+\d{4} · \$[\d,]+\.\d\d$", _chosen(page, "From"))
    page.get_by_label("Amount").fill("12.34")
    page.get_by_label("Memo (optional)").fill("Again")
    bank.shoot(page, "pay-form-preselected" + suffix)
    bank.press_submit(page, "Continue")

    # 3. Confirm: the payee by nickname, the amount the largest text on the page.
    assert bank.heading(page) == "Confirm your transfer"
    assert page.get_by_test_id("recipient").inner_text().startswith("Frances ••••")
    assert page.get_by_test_id("amount").inner_text() == "$12.34"
    largest = page.evaluate(LARGEST_TEXT)
    assert largest["id"] == "amount" and "tie" not in largest, largest
    bank.shoot(page, "pay-confirm" + suffix)
    _no_axe_findings(page)

    # Edit keeps what was typed; change the amount and send.
    bank.press_submit(page, "Edit")
    assert bank.heading(page) == "Pay someone"
    assert page.get_by_label("Amount").input_value() == "12.34"
    assert page.get_by_label("Memo (optional)").input_value() == "Again"
    assert _chosen(page, "Saved payee").startswith("Frances")
    bank.shoot(page, "pay-edit" + suffix)
    page.get_by_label("Amount").fill("12.50")
    bank.press_submit(page, "Continue")
    bank.confirm_transfer(page, "$12.50")

    # Pay again from history fills the form (and sends nothing).
    bank.go(page, f"/accounts/{customer['checking']}/history")
    row = page.locator("tbody tr").filter(has_text="Again").first
    bank.shoot(page, "pay-again-history" + suffix)
    bank.click_and_settle(page, row.get_by_role("link", name=re.compile("^Pay again")))
    assert bank.heading(page) == "Pay someone"
    assert page.get_by_label("Amount").input_value() == "12.50"
    assert page.get_by_label("Memo (optional)").input_value() == "Again"
    assert _chosen(page, "Saved payee").startswith("Frances")
    assert _chosen(page, "From").startswith("Everyday")
    bank.shoot(page, "pay-again-form" + suffix)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_payees_row_menu_leads_to_rename_and_a_delete_confirmation(
    new_context,
    customer,  # noqa: F811
    viewport,
    javascript,
):
    page = new_context(viewport, javascript=javascript)
    _sign_in(page, customer["email"])
    bank.go(page, "/payees")
    row = page.locator(".payee-rows li").filter(has_text="Frances")
    assert row.get_by_role("link", name="Pay Frances").is_visible()
    assert not row.get_by_role("link", name="Delete Frances").is_visible()  # tucked away

    row.locator("summary").click()  # a native disclosure: no script involved
    assert row.get_by_role("link", name="Rename Frances").is_visible()
    bank.shoot(page, "payees-menu" + ("" if javascript else "-nojs"))
    bank.click_and_settle(page, row.get_by_role("link", name="Delete Frances"))
    assert bank.heading(page) == "Delete Frances?"
    bank.shoot(page, "payee-delete-confirm" + ("" if javascript else "-nojs"))
    bank.click_and_settle(page, page.get_by_role("link", name="Keep it"))
    assert page.locator(".payee-rows li").filter(has_text="Frances").count() == 1


# Tap targets ------------------------------------------------------------------------------
TAP_PAGES = [
    ("dashboard", "/"),
    ("history", "/accounts/{checking}/history"),
    ("transfer-pay", "/transfers/pay"),
    ("transfer-own", "/transfers/own"),
    ("payees", "/payees"),
    ("schedules", "/schedules"),
    ("settings", "/accounts/{checking}/settings"),
]

# Every link, button and disclosure in <main> (closed <details> opened first, so menus
# count too), measured as rendered. The one exemption (WCAG 2.5.8's "inline"): a link
# that is inline text inside a sentence, e.g. "You have no accounts. Open one." Those are
# returned apart, so the test can say what it exempted.
TAP_TARGETS = """() => {
  const main = document.querySelector('main');
  main.querySelectorAll('details').forEach((d) => { d.open = true; });
  const selector = 'a[href], button, summary, input[type=submit], input[type=button], ' +
    '[role=button]';
  const describe = (el) => el.tagName.toLowerCase() + ' "' +
    el.textContent.replace(/\\s+/g, ' ').trim().slice(0, 40) + '"';
  const small = [], exempt = [];
  let measured = 0;
  for (const el of main.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // not rendered
    if (el.closest('.visually-hidden')) continue;
    measured += 1;
    if (box.width >= 43.5 && box.height >= 43.5) continue;
    const parentText = el.parentElement.textContent.replace(el.textContent, '').trim();
    if (el.tagName === 'A' && getComputedStyle(el).display === 'inline' && parentText) {
      exempt.push(describe(el));
      continue;
    }
    small.push(describe(el) + ' ' + Math.round(box.width) + 'x' + Math.round(box.height));
  }
  return {measured, small, exempt};
}"""


def _small_targets(page) -> tuple[int, list[str], list[str]]:
    result = page.evaluate(TAP_TARGETS)
    return result["measured"], result["small"], result["exempt"]


def test_tap_targets_are_at_least_44_px_on_the_main_pages_on_a_phone(new_context, customer):  # noqa: F811
    page = new_context(PHONE)
    _sign_in(page, customer["email"])
    problems, exemptions = {}, {}
    for name, path in TAP_PAGES:
        bank.go(page, path.format(**customer))
        measured, small, exempt = _small_targets(page)
        assert measured >= 2, f"{name}: nothing was measured"
        bank.shoot(page, f"tap-{name}")
        if small:
            problems[name] = small
        if exempt:
            exemptions[name] = exempt
    assert not problems, f"tap targets under 44x44 px: {problems} (exempted: {exemptions})"


def test_the_tap_target_check_catches_a_small_link(new_context, customer):  # noqa: F811
    # Not vacuous: a bare link of its own (not inside a sentence) must be reported.
    page = new_context(PHONE)
    _sign_in(page, customer["email"])
    page.evaluate(
        """() => {
          const p = document.createElement('p');
          const a = document.createElement('a');
          a.href = '/payees';
          a.textContent = 'Pay';
          p.append(a);
          document.querySelector('main').append(p);
        }"""
    )
    _, small, _ = _small_targets(page)
    assert any(item.startswith('a "Pay"') for item in small), small


# The schedule form ------------------------------------------------------------------------
def _visible_fields(page) -> dict[str, bool]:
    return {
        label: page.get_by_label(label).is_visible()
        for label in ("Day of the month (monthly only)", "Last payment no later than (optional)")
    }


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_schedule_form_shows_only_the_fields_that_apply(new_context, customer, viewport):  # noqa: F811
    page = new_context(viewport)
    _sign_in(page, customer["email"])
    bank.go(page, "/schedules/new")
    frequency = page.get_by_label("How often")

    assert frequency.input_value() == "once"
    assert _visible_fields(page) == {
        "Day of the month (monthly only)": False,
        "Last payment no later than (optional)": False,
    }
    bank.shoot(page, "schedule-new-once")
    frequency.select_option(label="Every week")
    assert _visible_fields(page) == {
        "Day of the month (monthly only)": False,
        "Last payment no later than (optional)": True,
    }
    frequency.select_option(label="Every month")
    assert _visible_fields(page) == {
        "Day of the month (monthly only)": True,
        "Last payment no later than (optional)": True,
    }
    bank.shoot(page, "schedule-new-monthly")


def test_schedule_form_without_javascript_shows_every_field(new_context, customer):  # noqa: F811
    page = new_context(PHONE, javascript=False)
    _sign_in(page, customer["email"])
    bank.go(page, "/schedules/new")

    assert all(_visible_fields(page).values())
    assert page.get_by_text(re.compile("^Monthly transfers only")).is_visible()
    bank.shoot(page, "schedule-new-nojs")
