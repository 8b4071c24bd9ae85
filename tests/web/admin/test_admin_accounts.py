"""Admin account management: search, freeze/unfreeze, close, and balance adjustments."""

from __future__ import annotations

import pytest

from banking.core import ledger
from banking.core.models import Account, JournalTransaction
from banking.extensions import db
from banking.services.actor import Actor
from banking.services.admin import accounts as account_actions
from tests.support.admin import HIDDEN, admin_client, confirm_action, start_action
from tests.support.audit import audit_rows
from tests.support.builders import balance_of, get_account, make_customer
from tests.support.ledger import hold, send, state


def test_find_account_by_number_or_owner(app, client):
    admin_client(app, client)
    grace = make_customer(app, "Grace Hopper", "grace@example.com")
    alan = make_customer(app, "Alan Turing")
    by_number = client.get(f"/admin/accounts?q={grace.account_number}").get_data(as_text=True)
    assert grace.account_number in by_number and alan.account_number not in by_number
    by_owner = client.get("/admin/accounts?q=grace@").get_data(as_text=True)
    assert grace.account_number in by_owner and alan.account_number not in by_owner


def test_freeze_needs_a_reason(app, client):
    admin_client(app, client)
    customer = make_customer(app)
    response = start_action(client, f"/admin/accounts/{customer.account_id}/freeze", {})
    assert response.status_code == 400
    assert get_account(app, customer.account_id).status == "active"


def test_frozen_account_can_neither_send_nor_receive(app, client):
    admin = admin_client(app, client)
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker", balance="100.00")
    page = confirm_action(
        client, f"/admin/accounts/{alice.account_id}/freeze", {"reason": "court order"}
    )
    assert "is frozen" in page.get_data(as_text=True)
    frozen = get_account(app, alice.account_id)
    assert frozen.status == "frozen" and frozen.status_reason == "court order"
    with pytest.raises(ledger.AccountFrozen):
        send(app, alice.account_id, bob.account_id, 1_000, owner_id=alice.id)
    with pytest.raises(ledger.AccountFrozen):
        send(app, bob.account_id, alice.account_id, 1_000, owner_id=bob.id)
    assert balance_of(app, alice.account_id) == 10_000
    (row,) = audit_rows(app, "admin.account.freeze")
    assert row.actor_id == admin.id and row.details["reason"] == "court order"


def test_unfreeze_lets_money_move_again(app, client):
    admin_client(app, client)
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    confirm_action(client, f"/admin/accounts/{alice.account_id}/freeze", {"reason": "check"})
    confirm_action(client, f"/admin/accounts/{alice.account_id}/unfreeze", {"reason": "ok"})
    assert get_account(app, alice.account_id).status == "active"
    send(app, alice.account_id, bob.account_id, 1_000, owner_id=alice.id)
    assert balance_of(app, bob.account_id) == 1_000


def test_close_refused_while_money_remains(app, client):
    admin_client(app, client)
    customer = make_customer(app, balance="1.00")
    page = confirm_action(client, f"/admin/accounts/{customer.account_id}/close", {"reason": "x"})
    assert "must be exactly zero" in page.get_data(as_text=True)
    assert get_account(app, customer.account_id).status == "active"


def test_close_refused_while_a_transfer_awaits_review(app, client):
    admin_client(app, client)
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    hold(app, alice, bob.account_id, 5_000)
    page = confirm_action(client, f"/admin/accounts/{bob.account_id}/close", {"reason": "x"})
    assert "awaiting review" in page.get_data(as_text=True)
    assert get_account(app, bob.account_id).status == "active"


def test_close_at_zero_balance(app, client):
    admin_client(app, client)
    customer = make_customer(app)
    page = confirm_action(
        client, f"/admin/accounts/{customer.account_id}/close", {"reason": "customer asked"}
    )
    assert "is closed" in page.get_data(as_text=True)
    closed = get_account(app, customer.account_id)
    assert closed.status == "closed" and closed.closed_at is not None
    assert len(audit_rows(app, "admin.account.close")) == 1


def test_a_frozen_account_at_zero_can_be_closed_by_an_admin(app, client):
    admin = admin_client(app, client)
    customer = make_customer(app)
    with app.app_context():
        account_actions.freeze_account(
            customer.account_id, actor=Actor.web(admin.id), reason="fraud"
        )
        db.session.remove()

    page = confirm_action(
        client, f"/admin/accounts/{customer.account_id}/close", {"reason": "fraud confirmed"}
    )

    assert "is closed" in page.get_data(as_text=True)
    closed = get_account(app, customer.account_id)
    assert (closed.status, closed.status_reason) == ("closed", "fraud confirmed")
    (row,) = audit_rows(app, "admin.account.close")
    assert row.actor_id == admin.id and row.details["reason"] == "fraud confirmed"


def test_account_page_lists_why_it_cannot_close(app, client):
    admin_client(app, client)
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker", balance="1.00")
    hold(app, alice, bob.account_id, 5_000)
    page = client.get(f"/admin/accounts/{bob.account_id}").get_data(as_text=True)
    assert "The balance must be exactly zero." in page
    assert "A transfer to this account is awaiting review" in page


def test_system_accounts_cannot_be_frozen(app, client):
    admin_client(app, client)
    with app.app_context():
        system_id = ledger.system_account_id(db.session, ledger.EXTERNAL_CASH, "USD")
        db.session.remove()
    page = confirm_action(client, f"/admin/accounts/{system_id}/freeze", {"reason": "x"})
    assert "system accounts cannot be changed" in page.get_data(as_text=True)


# Adjustments ------------------------------------------------------------------------
def adjust(client, account_id: int, direction: str, amount: str, reason: str = "teller"):
    return confirm_action(
        client,
        f"/admin/accounts/{account_id}/adjust",
        {"direction": direction, "amount": amount, "reason": reason},
    )


def test_deposit_credits_the_account_from_external_cash(app, client):
    admin = admin_client(app, client)
    customer = make_customer(app)
    page = adjust(client, customer.account_id, "deposit", "250.00")
    assert "Adjustment posted" in page.get_data(as_text=True)
    assert state(app, customer.account_id) == (25_000, 25_000)
    with app.app_context():
        txn = db.session.scalars(
            db.select(JournalTransaction).where(JournalTransaction.kind == "deposit")
        ).one()
        cash = ledger.system_account_id(db.session, ledger.EXTERNAL_CASH, "USD")
        assert txn.source_account_id == cash and txn.initiator_id == admin.id
        assert txn.memo == "teller"
        db.session.remove()
    (row,) = audit_rows(app, "admin.adjustment")
    assert row.details["direction"] == "deposit" and row.details["amount"] == 25_000


def test_withdrawal_debits_the_account(app, client):
    admin_client(app, client)
    customer = make_customer(app, balance="100.00")
    adjust(client, customer.account_id, "withdrawal", "40.00")
    assert balance_of(app, customer.account_id) == 6_000


def test_withdrawal_beyond_the_balance_is_refused(app, client):
    admin_client(app, client)
    customer = make_customer(app, balance="10.00")
    page = adjust(client, customer.account_id, "withdrawal", "40.00")
    assert "not enough money" in page.get_data(as_text=True)
    assert balance_of(app, customer.account_id) == 1_000
    assert audit_rows(app, "admin.adjustment") == []


def test_correction_uses_the_suspense_account(app, client):
    admin_client(app, client)
    customer = make_customer(app, balance="100.00")
    adjust(client, customer.account_id, "debit", "0.50")
    adjust(client, customer.account_id, "credit", "2.00")
    assert balance_of(app, customer.account_id) == 10_150
    with app.app_context():
        suspense = db.session.get(
            Account, ledger.system_account_id(db.session, ledger.SUSPENSE, "USD")
        )
        assert suspense.balance == -150
        db.session.remove()


def test_adjustment_reason_is_required(app, client):
    admin_client(app, client)
    customer = make_customer(app)
    response = start_action(
        client,
        f"/admin/accounts/{customer.account_id}/adjust",
        {"direction": "deposit", "amount": "10.00", "reason": ""},
    )
    assert response.status_code == 400
    assert balance_of(app, customer.account_id) == 0


def test_adjustment_amount_is_validated(app, client):
    admin_client(app, client)
    customer = make_customer(app)
    response = start_action(
        client,
        f"/admin/accounts/{customer.account_id}/adjust",
        {"direction": "deposit", "amount": "1.234", "reason": "x"},
    )
    assert response.status_code == 400
    assert "two decimal places" in response.get_data(as_text=True)


def test_double_submitted_adjustment_moves_money_once(app, client):
    admin_client(app, client)
    customer = make_customer(app)
    url = f"/admin/accounts/{customer.account_id}/adjust"
    first = start_action(client, url, {"direction": "deposit", "amount": "10.00", "reason": "x"})
    fields = dict(HIDDEN.findall(first.get_data(as_text=True)))
    client.post(url, data=fields)
    again = client.post(url, data=fields, follow_redirects=True)
    assert "already recorded" in again.get_data(as_text=True)
    assert balance_of(app, customer.account_id) == 1_000
    assert len(audit_rows(app, "admin.adjustment")) == 1
