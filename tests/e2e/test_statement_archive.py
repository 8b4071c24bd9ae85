"""Statements as documents in Chromium (issue 17, item 5): a demo customer opens the
archive from their account's history, downloads last month's PDF and reads it back (the
holder, the period, the balances the archive lists, closing = opening + entries); the
archive at 1280 and 360 px, light and dark, with no serious axe finding. Screenshots land
in test-artifacts/screenshots (statement-archive-*).

Last month's history can only be posted in the past by the demo seed, which also issues
the last two months' statements the way the worker does on the 1st.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from babel.dates import format_date

from banking.core.periods import Month
from banking.services.demo import DEMO_PASSWORD
from tests.e2e import bank
from tests.e2e.conftest import DESKTOP, PHONE, server_flask
from tests.support.statement_documents import check_statement_pdf, minor_units

SIZES = [(DESKTOP, "light"), (DESKTOP, "dark"), (PHONE, "light"), (PHONE, "dark")]


def _demo_customer() -> str:
    """A fresh demo customer (the seed adds a batch next to whoever exists): their email."""
    output = server_flask(
        "seed-demo", "--customers", "1", "--months", "3", "--seed", "11", "--force"
    )
    assert "Issued " in output and "past monthly statements" in output, output
    return re.search(r"customer\s+(\S+@\S+)", output).group(1)


def _no_axe_findings(page) -> None:
    violations = bank.axe_violations(page)
    assert not violations, violations


def test_download_last_months_pdf_statement_and_read_it_back(new_context):
    email = _demo_customer()
    last = Month.of(datetime.now(UTC).date()).previous()  # the server runs in UTC
    label = format_date(last.first_day, "MMMM y", locale="en_US")
    page = new_context(DESKTOP)
    bank.sign_in(page, email, DEMO_PASSWORD)
    holder = page.locator(".account-menu-name").inner_text().split(":")[-1].strip()

    # Dashboard -> the account's history -> its statements.
    account_id = bank.first_account_id(page)
    bank.go(page, f"/accounts/{account_id}/history")
    bank.click_and_settle(page, page.get_by_role("link", name="Statements (PDF)"))
    assert bank.heading(page).startswith("Statements for")
    row = page.locator(f'tr[data-period="{last}"]')
    assert label in row.inner_text()
    opening = minor_units(row.locator('td[data-label="Opening"]').inner_text())
    closing = minor_units(row.locator('td[data-label="Closing"]').inner_text())
    assert page.locator(f'tr[data-period="{last.previous()}"]').count() == 1  # two months

    with page.expect_download() as info:
        row.get_by_role("link", name=f"PDF statement for {label}").click()
    download = info.value
    assert re.fullmatch(rf"statement-\d{{4}}-{last}\.pdf", download.suggested_filename)
    pdf = Path(download.path()).read_bytes()
    period = (
        f"{format_date(last.first_day, 'long', locale='en_US')} to "
        f"{format_date(last.last_day, 'long', locale='en_US')}"
    )
    check_statement_pdf(pdf, holder=holder, period=period, opening=opening, closing=closing)

    for viewport, scheme in SIZES:
        view = new_context(viewport, bypass_csp=True, color_scheme=scheme)
        bank.sign_in(view, email, DEMO_PASSWORD)
        bank.go(view, f"/accounts/{account_id}/statements")
        assert (scheme == "dark") == bank.page_is_dark(view)
        bank.shoot(view, "statement-archive" + ("-dark" if scheme == "dark" else ""))
        _no_axe_findings(view)
