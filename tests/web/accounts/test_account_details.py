"""The full account number where customers look for it, and a new customer's first steps.

Issue 16 item 6: the number needed to get paid was only under Settings. Now the dashboard
and the history page show it (selectable text, with a Copy button that the static script
reveals), and a dashboard with no movement yet says how to fund the account instead of
showing $0.00 and a flat chart.
"""

from __future__ import annotations

import re

from tests.support.builders import add_account, fund, make_customer


def page(client, path: str = "/") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def shown_number(html: str, element_id: str) -> str:
    """The digits of the account number with this id, as the page's text has them."""
    match = re.search(rf'<span class="account-number" id="{element_id}">(.*?)</span></span>', html)
    assert match, f"no account number #{element_id}"
    return re.sub(r"<[^>]+>", "", match.group(1) + "</span>")


def copy_button_for(html: str, element_id: str) -> str:
    match = re.search(
        rf'<button type="button" class="copy-button" data-copy-target="{element_id}"[^>]*>', html
    )
    assert match, f"no copy button for #{element_id}"
    return match.group(0)


def test_the_dashboard_shows_each_full_account_number_with_a_copy_button(app, client, jane):
    fund(app, jane.account_id, "25.00")
    savings = add_account(app, jane.id, nickname="Rainy day")

    html = page(client)

    assert shown_number(html, f"number-{jane.account_id}") == jane.account_number
    assert len(shown_number(html, f"number-{savings}")) == 12
    # Revealed by static/js/app.js only: without script the number is there to select.
    assert copy_button_for(html, f"number-{jane.account_id}").endswith(" hidden>")
    assert '<span class="visually-hidden">Copy the account number of Everyday' in html


def test_the_history_page_shows_the_full_account_number(app, client, jane):
    fund(app, jane.account_id, "25.00")

    html = page(client, f"/accounts/{jane.account_id}/history")

    assert shown_number(html, "account-number") == jane.account_number
    copy_button_for(html, "account-number")


def test_no_other_customers_number_is_shown(app, client, jane):
    other = make_customer(app, "Someone Else", balance="10.00")
    fund(app, jane.account_id, "25.00")

    assert other.account_number not in page(client)


def test_a_new_customer_is_told_how_to_fund_the_account(app, client, jane):
    html = page(client)

    welcome = html[html.index('data-testid="welcome"') :]
    assert "Add money to get started" in welcome
    assert shown_number(welcome, "welcome-number") == jane.account_number
    assert 'href="/accounts/open"' in welcome  # open a savings account
    # Not a $0.00 headline and a flat line.
    assert 'data-testid="total-USD"' not in html
    assert "balance-chart" not in html


def test_the_first_movement_replaces_the_first_steps_with_the_figures(app, client, jane):
    assert "Add money to get started" in page(client)

    fund(app, jane.account_id, "25.00")  # the money movement deletes the cached dashboard
    html = page(client)

    assert "Add money to get started" not in html
    assert 'data-testid="total-USD">$25.00<' in html
    assert "balance-chart" in html
