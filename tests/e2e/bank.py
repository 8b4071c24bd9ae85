"""What a person does in the browser, as small steps the journeys are written in.

Every step goes through the pages (labels, buttons, links) the way a customer or an
admin would; nothing here touches the database. `settle` runs after each page load to
hold every page to the layout rules (no sideways scrolling of the page body).
"""

from __future__ import annotations

import json
import re
import time
from itertools import count
from pathlib import Path

import pyotp

from tests.e2e.conftest import ADMIN_EMAIL, PASSWORD, SCREENSHOTS

_serial = count(1)
AXE_JS = None


def unique_email(prefix: str) -> str:
    return f"{prefix}-{int(time.time() * 1000)}-{next(_serial)}@e2e.example.com"


# The innermost elements whose right edge passes the viewport: what to fix.
WIDEST_ELEMENTS = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
  .filter(e => !e.closest('.table-wrap') || e.classList.contains('table-wrap'))
  .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth))
  .slice(0, 5)
  .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') +
       ' "' + e.textContent.trim().slice(0, 30) + '"')"""


# Every amount of money in the page's visible text ("$1,234.56", "−$4,930.90", "+€5.00",
# "5100.00 USD"), measured with a Range: a piece of text that wraps has line boxes at two
# heights. Returns how many amounts were measured and the ones that span two lines.
WRAPPED_AMOUNTS = r"""() => {
  const pattern = /[+\-\u2212]?(?:[$€£¥]\s?\d[\d,.]*\d|\d[\d,]*\.\d{2}\s?[A-Z]{3}\b)/g;
  // No filter callback: with JavaScript off in the page, only this (utility) script runs.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const skipped = 'script, style, select, option, svg, .visually-hidden';
  let measured = 0;
  const wrapped = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement || node.parentElement.closest(skipped)) continue;
    for (const match of node.data.matchAll(pattern)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const rects = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
      if (!rects.length) continue;  // not rendered (a closed <details>, display: none)
      measured += 1;
      const top = rects[0].top;
      if (rects.some((r) => Math.abs(r.top - top) > rects[0].height / 2)) {
        const where = node.parentElement;
        wrapped.push(match[0] + ' in ' + where.tagName.toLowerCase() +
                     (where.className ? '.' + String(where.className).split(' ').join('.') : ''));
      }
    }
  }
  return {measured, wrapped};
}"""


def amounts_on_one_line(page) -> int:
    """Fails if any amount of money on the page breaks across lines; returns how many
    amounts were measured (so a caller can tell the check did see money)."""
    result = page.evaluate(WRAPPED_AMOUNTS)
    if result["wrapped"]:
        shoot(page, "wrapped-amount")
        raise AssertionError(f"{page.url} breaks amounts across lines: {result['wrapped']}")
    return result["measured"]


def settle(page) -> None:
    """Checks every page must pass once loaded: one h1, a title, no sideways scrolling,
    no amount of money broken across two lines."""
    page.wait_for_load_state("load")
    guard = getattr(page, "guard", None)
    if guard is not None and guard.problems:
        errors = page.locator(".field-error, .form-summary, .flash").all_inner_texts()
        guard.problems.append(f"page {page.url} says: {errors}")
        guard.check()
    assert page.locator("h1").count() == 1, f"{page.url} must have exactly one h1"
    assert page.title().endswith("Northwind Bank"), page.title()
    if _js(page):
        amounts_on_one_line(page)
    if page.context.pages and page.viewport_size and page.viewport_size["width"] <= 480:
        overflow = (
            page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if _js(page)
            else 0
        )
        if overflow > 0:
            shoot(page, "overflow")
            culprits = page.evaluate(WIDEST_ELEMENTS)
            raise AssertionError(f"{page.url} scrolls sideways by {overflow}px: {culprits}")


def _js(page) -> bool:
    try:
        return bool(page.evaluate("true"))
    except Exception:  # JavaScript disabled in this context
        return False


def go(page, path: str) -> None:
    page.goto(path)
    settle(page)


def click_and_settle(page, locator) -> None:
    with page.expect_navigation():
        locator.click()
    settle(page)


def press_submit(page, button_name: str) -> None:
    click_and_settle(page, page.get_by_role("button", name=button_name, exact=True))


def shoot(page, name: str) -> Path:
    width = page.viewport_size["width"] if page.viewport_size else 0
    path = SCREENSHOTS / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# Customers --------------------------------------------------------------------------------
def heading(page) -> str:
    return page.get_by_role("heading", level=1).inner_text()


def sign_up(page, name: str, email: str) -> None:
    """Open an account the whole way: the form, the emailed link, the confirm button, and
    signing in. The server runs in development, so the email is read where a developer
    reads it: the /dev/mail page the "check your email" page links to."""
    go(page, "/auth/signup")
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    press_submit(page, "Open my account")
    assert heading(page) == "Check your email"
    click_and_settle(page, page.get_by_role("link", name="see the emails the app has sent"))
    message = page.locator("article.dev-mail").filter(has_text=email).first
    click_and_settle(page, message.locator('a[href*="/auth/verify/"]'))
    assert heading(page) == "Confirm your email"
    press_submit(page, "Confirm my email")
    assert heading(page) == "Sign in"
    sign_in(page, email)
    assert heading(page) == "Your accounts"


def sign_out(page) -> None:
    # Sign out sits in the account menu (a <details>): open it first, as a person would.
    button = page.get_by_role("button", name="Sign out", exact=True)
    if not button.is_visible():
        page.locator("details.account-menu > summary").click()
    press_submit(page, "Sign out")
    assert page.get_by_role("heading", level=1).inner_text() == "Sign in"


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    go(page, "/auth/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    press_submit(page, "Sign in")


def enroll_two_factor(page) -> pyotp.TOTP:
    go(page, "/auth/profile")
    click_and_settle(page, page.get_by_role("link", name="Set up two-factor"))
    shoot(page, "two-factor-setup")
    secret = page.locator(".secret-key").inner_text().strip()
    totp = pyotp.TOTP(secret)
    page.get_by_label("6-digit code from your app").fill(totp.now())
    page.get_by_label("Current password").fill(PASSWORD)
    press_submit(page, "Turn on two-factor")
    assert "recovery codes" in page.get_by_role("heading", level=1).inner_text()
    return totp


def next_code(totp: pyotp.TOTP) -> str:
    """The code for the next 30-second step: the one just used can't be replayed."""
    return totp.at(time.time() + totp.interval)


def first_account_id(page) -> int:
    go(page, "/")
    href = page.get_by_role("link", name=re.compile("^Settings")).first.get_attribute("href")
    return int(re.search(r"/accounts/(\d+)/", href).group(1))


def account_number(page, account_id: int) -> str:
    go(page, f"/accounts/{account_id}/settings")
    return page.locator(".account-number").inner_text().strip()


def open_savings(page, nickname: str = "Rainy day") -> None:
    go(page, "/accounts/open")
    page.get_by_label("Account type").select_option(label="Savings")
    page.get_by_label("Nickname (optional)").fill(nickname)
    press_submit(page, "Open account")
    page.get_by_text(f"Your new account {nickname} is open.").wait_for()


def confirm_transfer(page, amount_text: str) -> None:
    assert page.get_by_role("heading", level=1).inner_text() == "Confirm your transfer"
    press_submit(page, f"Send {amount_text}")
    assert page.get_by_role("heading", level=1).inner_text() == "Transfer sent"


def transfer_own(page, from_label: str, to_label: str, amount: str, memo: str = "") -> None:
    go(page, "/transfers/own")
    page.get_by_label("From", exact=True).select_option(label=_option(page, "From", from_label))
    page.get_by_label("To", exact=True).select_option(label=_option(page, "To", to_label))
    page.get_by_label("Amount").fill(amount)
    page.get_by_label("Memo (optional)").fill(memo)
    press_submit(page, "Continue")


def pay(page, amount: str, *, payee: str | None = None, number: str | None = None,
        memo: str = "", from_label: str = "Everyday") -> None:  # fmt: skip
    go(page, "/transfers/pay")
    page.get_by_label("From", exact=True).select_option(label=_option(page, "From", from_label))
    if payee:
        page.get_by_label("Saved payee").select_option(label=_option(page, "Saved payee", payee))
    if number:
        page.get_by_label("Or their account number").fill(number)
    page.get_by_label("Amount").fill(amount)
    page.get_by_label("Memo (optional)").fill(memo)
    press_submit(page, "Continue")


def _option(page, label: str, starts_with: str) -> str:
    """The full text of the first option of a select that starts with `starts_with`."""
    options = page.get_by_label(label, exact=True).locator("option").all_inner_texts()
    matches = [o.strip() for o in options if o.strip().startswith(starts_with)]
    assert matches, f"no option starting {starts_with!r} in {options}"
    return matches[0]


def save_payee(page, nickname: str, number: str) -> None:
    go(page, "/payees")
    page.get_by_label("Nickname").fill(nickname)
    page.get_by_label("Account number").fill(number)
    press_submit(page, "Save payee")
    page.locator(".payee-rows li").filter(has_text=nickname).first.wait_for()


def schedule_monthly(page, from_label: str, number: str, amount: str, start_on: str) -> None:
    go(page, "/schedules/new")
    page.get_by_label("From", exact=True).select_option(label=_option(page, "From", from_label))
    page.get_by_label("Or to account number").fill(number)
    page.get_by_label("Amount").fill(amount)
    page.get_by_label("How often").select_option(label="Every month")
    page.get_by_label("First payment on").fill(start_on)
    press_submit(page, "Schedule transfer")


# Admins -----------------------------------------------------------------------------------
def sign_in_admin(page) -> None:
    sign_in(page, ADMIN_EMAIL)
    assert page.get_by_role("heading", level=1).inner_text() == "Admin overview"


def admin_open_account(page, number: str) -> None:
    go(page, f"/admin/accounts?q={number}")
    click_and_settle(page, page.get_by_role("link", name=number))


def _admin_confirm(page, reason: str, button_prefix: str) -> None:
    page.get_by_label("Reason").fill(reason)
    press_submit(page, "Continue")
    click_and_settle(page, page.get_by_role("button", name=re.compile("^" + button_prefix)))


def admin_deposit(
    page, number: str, amount: str, reason: str = "Opening deposit at the branch", *,
    withdrawal: bool = False,
) -> None:  # fmt: skip
    """Cash in (or out) through the bank; the reason is the customer's memo, so
    "Card purchase — Corner Café" reads as a purchase at Corner Café."""
    admin_open_account(page, number)
    click_and_settle(page, page.get_by_role("link", name="Adjust balance"))
    page.get_by_label("Type").select_option(value="withdrawal" if withdrawal else "deposit")
    page.get_by_label("Amount").fill(amount)
    _admin_confirm(page, reason, "Confirm")
    page.get_by_text("Adjustment posted").wait_for()


def admin_decide_review(page, transaction_id: int, *, approve: bool, reason: str) -> None:
    """Approve or reject a transfer held for review, from the review queue's links."""
    go(page, "/admin/reviews")
    row = page.locator("tr").filter(has=page.locator(f'a[href$="/{transaction_id}/approve"]'))
    click_and_settle(page, row.get_by_role("link", name="Approve" if approve else "Reject"))
    _admin_confirm(page, reason, "Confirm")


def admin_freeze(page, number: str) -> None:
    admin_open_account(page, number)
    click_and_settle(page, page.get_by_role("link", name="Freeze"))
    _admin_confirm(page, "Suspicious activity reported", "Confirm")
    page.get_by_text("is frozen").first.wait_for()


# Accessibility ------------------------------------------------------------------------------
def page_is_dark(page) -> bool:
    """Whether the page's background is dark (the prefers-color-scheme styles applied)."""
    luminance = page.evaluate(
        """() => {
          const colour = getComputedStyle(document.body).backgroundColor;
          const [r, g, b] = colour.match(/\\d+/g).map(Number);
          return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
        }"""
    )
    return luminance < 0.3


def axe_violations(page) -> list[dict]:
    """Serious and critical axe-core findings for the page (context must bypass CSP)."""
    import axe_core_python

    script = Path(axe_core_python.__file__).parent / "axe.min.js"
    page.add_script_tag(path=str(script))
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    found = [
        {
            "page": page.url,
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result
    ]
    # Every finding (minor ones too) goes to a report next to the screenshots.
    with (SCREENSHOTS.parent / "axe-findings.jsonl").open("a", encoding="utf-8") as report:
        report.writelines(json.dumps(item) + "\n" for item in found)
    return [item for item in found if item["impact"] in ("serious", "critical")]
