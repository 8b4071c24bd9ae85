"""The statement page's layout (issue 16 item 14): the month picker stays small, Print and
Download sit with the summary, and the printed copy says whose statement it is.

What paper shows is measured in Chromium under print media (tests/e2e/test_layout.py);
here, what the page carries.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from babel.dates import format_date

from banking.core.periods import local_today
from tests.support.builders import make_customer
from tests.support.sessions import login_as


def statement_page(client, account_id: int, month: str | None = None):
    query = {"month": month} if month else {}
    return client.get(f"/accounts/{account_id}/statement", query_string=query)


def section(html: str, marker: str) -> str:
    """The <section> element that contains `marker`."""
    at = html.index(marker)
    start = html.rindex("<section", 0, at)
    return html[start : html.index("</section>", at)]


def test_the_print_header_names_the_holder_account_period_and_issue_date(app, client):
    alice = make_customer(app, "Alice Able", balance="5.00")
    login_as(client, app, alice.id)

    html = statement_page(client, alice.account_id, "2026-03").get_data(as_text=True)

    header = section(html, 'data-testid="print-header"')
    assert 'class="print-only statement-print-header"' in header
    assert "Alice Able" in header
    assert f">{alice.account_number}<" in header  # in full: this is the paper copy
    assert "March 1, 2026 to March 31, 2026" in header
    today = local_today(app.config.get("DISPLAY_TIMEZONE", "UTC"), datetime.now(UTC))
    assert f"Issued</dt><dd>{format_date(today, 'long', locale='en_US')}<" in header


def test_print_and_download_sit_with_the_summary(app, client):
    alice = make_customer(app, "Alice Able", balance="5.00")
    login_as(client, app, alice.id)

    html = statement_page(client, alice.account_id).get_data(as_text=True)

    summary = section(html, 'id="summary-heading"')
    assert re.search(r"<button [^>]*data-print hidden>Print</button>", summary)  # script shows it
    assert "statement.csv?month=" in summary and "Download CSV" in summary
    assert html.count("Download CSV") == 1


def test_the_month_picker_is_folded_away_until_needed(app, client):
    alice = make_customer(app, "Alice Able", balance="5.00")
    login_as(client, app, alice.id)

    html = statement_page(client, alice.account_id, "2026-03").get_data(as_text=True)
    assert '<details class="month-picker">' in html  # closed: the statement comes first
    assert 'aria-current="page">March 2026<' in html
    assert 'rel="prev"' in html and "month=2026-02" in html

    refused = statement_page(client, alice.account_id, "2026-13")
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert '<details class="month-picker" open>' in html  # the error is in view
    assert 'id="month-error"' in html
    assert "print-header" not in html  # no statement, nothing to print
