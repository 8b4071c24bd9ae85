"""How the admin pages read (issue 16, item 18): one menu with the current page marked,
owners beside account numbers, each hold's expiry, amounts like the customer's, and the
bank's own accounts apart from the customers'."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from banking.core import ledger
from banking.core.models import Account, Hold
from banking.extensions import db
from tests.support.admin import admin_client, confirm_action, start_action
from tests.support.builders import make_customer
from tests.support.dual_control import pending_rows, second_admin
from tests.support.ledger import hold, send


def body(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def current_links(page: str) -> set[str]:
    """The labels of the menu links marked as the current page."""
    return set(re.findall(r'aria-current="page">([^<]+)</a>', page))


def set_hold_expiry(app, transaction_id: int, expires_at: datetime) -> None:
    with app.app_context():
        db.session.execute(
            update(Hold).where(Hold.transaction_id == transaction_id).values(expires_at=expires_at)
        )
        db.session.commit()


# The menu -------------------------------------------------------------------------------
def test_the_admin_menu_is_the_site_bar_and_marks_the_current_section(app, client):
    admin_client(app, client)
    alice = make_customer(app, "Alice Able", balance="10.00")

    overview = body(client.get("/admin/"))
    assert overview.count('aria-label="Main"') == 1
    assert 'aria-label="Admin"' not in overview  # the second menu card is gone
    assert current_links(overview) == {"Overview"}
    assert current_links(body(client.get("/admin/journal"))) == {"Journal"}
    assert current_links(body(client.get("/admin/audit"))) == {"Audit log"}
    # A page inside a section marks its section: an account's page is under Accounts.
    assert current_links(body(client.get(f"/admin/accounts/{alice.account_id}"))) == {"Accounts"}
    assert current_links(body(client.get(f"/admin/users/{alice.id}/lock"))) == {"Users"}


def test_a_folded_section_marks_more_where_it_is_folded(app, client):
    admin_client(app, client)
    page = body(client.get("/admin/integrity"))
    more = page[page.index('class="admin-nav-more"') :]
    assert '<summary class="is-current-3">More</summary>' in more
    assert 'aria-current="page">Ledger integrity</a>' in more
    assert "<summary>More</summary>" in body(client.get("/admin/"))  # Overview never folds
    # Users folds only on a narrow phone; admin.css marks More for it there alone.
    assert '<summary class="is-current-1">More</summary>' in body(client.get("/admin/users"))
    more = body(client.get("/admin/journal"))
    assert '<summary class="is-current-2">More</summary>' in more


# Owners beside account numbers ----------------------------------------------------------
def test_journal_and_review_queue_name_each_accounts_owner(app, client):
    admin_client(app, client)
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    send(app, alice.account_id, bob.account_id, 1_250, owner_id=alice.id)
    held = hold(app, alice, bob.account_id, 2_000).transaction_id

    journal = body(client.get("/admin/journal"))
    assert alice.account_number in journal and "Alice Able" in journal
    assert bob.account_number in journal and "Bob Baker" in journal
    assert "The bank: External cash" in journal  # the deposit that funded Alice

    reviews = body(client.get("/admin/reviews"))
    row = reviews[reviews.index(f"#{held}<") :]
    assert "Alice Able" in row and "Bob Baker" in row


def test_approve_and_reject_pages_name_the_owners_and_format_the_amount(app, client):
    admin_client(app, client)
    alice = make_customer(app, "Alice Able", balance="6000.00")
    bob = make_customer(app, "Bob Baker")
    held = hold(app, alice, bob.account_id, 510_000).transaction_id

    for verb in ("approve", "reject"):
        page = body(client.get(f"/admin/reviews/{held}/{verb}"))
        assert f"{alice.account_number} (Alice Able)" in page
        assert f"{bob.account_number} (Bob Baker)" in page
        assert "$5,100.00" in page and "5100.00 USD" not in page
    detail = body(client.get(f"/admin/journal/{held}"))
    assert "(Alice Able)" in detail and "(Bob Baker)" in detail


# Hold expiry ----------------------------------------------------------------------------
def test_review_queue_says_when_each_hold_expires(app, client):
    admin_client(app, client)
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    soon = hold(app, alice, bob.account_id, 1_000).transaction_id
    late = hold(app, alice, bob.account_id, 1_500).transaction_id
    now = datetime.now(UTC)
    set_hold_expiry(app, soon, now + timedelta(days=2, minutes=5))
    set_hold_expiry(app, late, now - timedelta(hours=3, minutes=5))

    page = body(client.get("/admin/reviews"))
    cell = re.search(rf'data-testid="hold-{soon}">(.*?)</td>', page, re.S).group(1)
    assert "expires in 2 days" in cell
    # With the date and time, in the pages' format ("12/3/26, 9:15 AM" in en_US).
    assert re.search(r"\d{1,2}/\d{1,2}/\d{2}, \d{1,2}:\d{2}", cell), cell
    cell = re.search(rf'data-testid="hold-{late}">(.*?)</td>', page, re.S).group(1)
    assert "expired 3 hours ago" in cell

    approve = body(client.get(f"/admin/reviews/{soon}/approve"))
    assert "expires in 2 days" in approve


# Amounts ----------------------------------------------------------------------------------
def test_admin_amounts_are_formatted_like_the_customers(app, client):
    admin_client(app, client)
    alice = make_customer(app, "Alice Able", balance="5100.00")
    freeze = body(client.get(f"/admin/accounts/{alice.account_id}/freeze"))
    assert "$5,100.00" in freeze and "5100.00 USD" not in freeze

    confirm = start_action(
        client,
        f"/admin/accounts/{alice.account_id}/adjust",
        {"direction": "deposit", "amount": "42.50", "reason": "branch"},
    )
    page = body(confirm)
    assert "$42.50" in page and "42.50 USD" not in page


# System accounts apart --------------------------------------------------------------------
def test_accounts_page_lists_the_banks_own_accounts_apart(app, client):
    admin_client(app, client)
    alice = make_customer(app, "Alice Able", balance="25.00")
    with app.app_context():
        cash_id = ledger.system_account_id(db.session, ledger.EXTERNAL_CASH, "USD")
        cash_number = db.session.get(Account, cash_id).number

    page = body(client.get("/admin/accounts"))
    customers = page[page.index('data-testid="customer-accounts"') : page.index("</section>")]
    bank = page[page.index('data-testid="bank-accounts"') :]
    assert "Bank’s own accounts" in bank
    assert alice.account_number in customers and cash_number not in customers
    assert cash_number in bank and "External cash" in bank and "−$25.00" in bank
    assert bank.index("USD") < bank.index("EUR")  # the default currency's accounts first

    # A search finds the bank's account by its name, and customers by theirs.
    found = body(client.get("/admin/accounts?q=external"))
    assert cash_number in found and alice.account_number not in found
    found = body(client.get("/admin/accounts?q=alice"))
    assert alice.account_number in found and 'data-testid="bank-accounts"' not in found


def test_second_approval_pages_name_the_owners_of_a_reversal(app, client):
    admin_client(app, client)
    alice = make_customer(app, "Alice Able", balance="2000.00")
    bob = make_customer(app, "Bob Baker")
    txn = send(app, alice.account_id, bob.account_id, 150_000, owner_id=alice.id).transaction_id
    confirm_action(client, f"/admin/journal/{txn}/reverse", {"reason": "wrong payee"})
    action = pending_rows(app)[0].id

    checker, _ = second_admin(app)
    for page in (
        body(checker.get("/admin/pending")),
        body(checker.get(f"/admin/pending/{action}/approve")),
    ):
        assert f"{alice.account_number} (Alice Able)" in page
        assert f"{bob.account_number} (Bob Baker)" in page
        assert "$1,500.00" in page
