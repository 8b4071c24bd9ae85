"""Admin journal: filters, keyset pages, detail, reversal (once), and the review queue."""

from __future__ import annotations

from banking.core import ledger
from banking.core.models import JournalTransaction
from banking.extensions import db
from banking.services.actor import Actor
from banking.services.admin import accounts as account_actions
from tests.support.admin import (
    admin_client,
    confirm_action,
    start_action,
    walk_pages,
)
from tests.support.audit import audit_rows
from tests.support.builders import detached, make_customer
from tests.support.ledger import send, state


def held_transfer(app, sender, recipient, amount: int) -> int:
    result = send(
        app,
        sender.account_id,
        recipient.account_id,
        amount,
        initiator_id=sender.id,
        owner_id=sender.id,
        limits=ledger.Limits(review_threshold=10_000),
    )
    assert result.status == "pending"
    return result.transaction_id


def transaction(app, transaction_id: int) -> JournalTransaction:
    return detached(app, JournalTransaction, transaction_id)


def test_journal_filters_by_kind_amount_and_account(app, client):
    admin_client(app, client)
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker", balance="5.00")
    small = send(app, alice.account_id, bob.account_id, 123, owner_id=alice.id).transaction_id
    big = send(app, alice.account_id, bob.account_id, 4_567, owner_id=alice.id).transaction_id

    page = client.get("/admin/journal?kind=transfer&amount_min=10").get_data(as_text=True)
    assert f"#{big}<" in page and f"#{small}<" not in page
    page = client.get("/admin/journal?kind=deposit").get_data(as_text=True)
    assert f"#{big}<" not in page and "$5.00" in page
    page = client.get(f"/admin/journal?account={bob.account_number}&amount_max=2").get_data(
        as_text=True
    )
    assert f"#{small}<" in page and f"#{big}<" not in page


def test_journal_date_filter_is_inclusive_of_today(app, client):
    from datetime import UTC, datetime, timedelta

    admin_client(app, client)
    make_customer(app, balance="1.00")
    today = datetime.now(UTC).date()
    assert "$1.00" in client.get(f"/admin/journal?date_from={today}&date_to={today}").get_data(
        as_text=True
    )
    tomorrow = today + timedelta(days=1)
    assert "No transactions found" in client.get(f"/admin/journal?date_from={tomorrow}").get_data(
        as_text=True
    )


def test_bad_filter_input_is_a_form_error_not_a_crash(app, client):
    admin_client(app, client)
    response = client.get("/admin/journal?amount_min=abc&date_from=notadate&after=garbage")
    assert response.status_code == 200
    assert "Please correct" in response.get_data(as_text=True)


def test_journal_pages_through_every_transaction_once(app, client):
    app.config["ADMIN_PAGE_SIZE"] = 3
    admin_client(app, client)
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    ids = [
        send(app, alice.account_id, bob.account_id, 100 + i, owner_id=alice.id).transaction_id
        for i in range(7)
    ]
    pages = walk_pages(client, "/admin/journal?kind=transfer")
    assert len(pages) == 3
    for txn_id in ids:
        assert sum(f"#{txn_id}<" in page for page in pages) == 1


def test_transaction_detail_lists_its_entries(app, client):
    admin_client(app, client)
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    txn_id = send(app, alice.account_id, bob.account_id, 2_500, owner_id=alice.id).transaction_id
    page = client.get(f"/admin/journal/{txn_id}").get_data(as_text=True)
    assert alice.account_number in page and bob.account_number in page
    assert "−$25.00" in page and "+$25.00" in page


def test_reversal_needs_a_reason(app, client):
    admin_client(app, client)
    alice = make_customer(app, balance="10.00")
    with app.app_context():
        txn_id = db.session.scalar(db.select(JournalTransaction.id))
        db.session.remove()
    response = start_action(client, f"/admin/journal/{txn_id}/reverse", {"reason": ""})
    assert response.status_code == 400
    assert state(app, alice.account_id) == (1_000, 1_000)


def test_reverse_a_transfer_once(app, client):
    admin = admin_client(app, client)
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    txn_id = send(app, alice.account_id, bob.account_id, 2_500, owner_id=alice.id).transaction_id

    page = confirm_action(client, f"/admin/journal/{txn_id}/reverse", {"reason": "sent twice"})
    assert "was reversed by" in page.get_data(as_text=True)
    assert state(app, alice.account_id) == (10_000, 10_000)
    assert state(app, bob.account_id) == (0, 0)
    (row,) = audit_rows(app, "admin.transaction.reverse")
    assert row.actor_id == admin.id and row.details["reverses"] == txn_id

    again = confirm_action(client, f"/admin/journal/{txn_id}/reverse", {"reason": "again"})
    assert "already been reversed" in again.get_data(as_text=True)
    assert state(app, alice.account_id) == (10_000, 10_000)
    assert len(audit_rows(app, "admin.transaction.reverse")) == 1


def test_review_queue_lists_pending_transfers(app, client):
    admin_client(app, client)
    alice = make_customer(app, "Alice Able", balance="500.00")
    bob = make_customer(app, "Bob Baker")
    txn_id = held_transfer(app, alice, bob, 30_000)
    page = client.get("/admin/reviews").get_data(as_text=True)
    assert f"#{txn_id}<" in page and "Approve" in page


def test_approving_a_held_transfer_moves_the_money(app, client):
    admin = admin_client(app, client)
    alice = make_customer(app, "Alice Able", balance="500.00")
    bob = make_customer(app, "Bob Baker")
    txn_id = held_transfer(app, alice, bob, 30_000)
    assert state(app, alice.account_id) == (50_000, 20_000)

    page = confirm_action(client, f"/admin/reviews/{txn_id}/approve", {"reason": "verified"})
    assert "was approved" in page.get_data(as_text=True)
    assert state(app, alice.account_id) == (20_000, 20_000)
    assert state(app, bob.account_id) == (30_000, 30_000)
    txn = transaction(app, txn_id)
    assert txn.status == "posted" and txn.decision_reason == "verified"
    assert txn.decided_by_id == admin.id
    assert len(audit_rows(app, "admin.review.approve")) == 1
    assert f"#{txn_id}<" not in client.get("/admin/reviews").get_data(as_text=True)


def test_approving_is_refused_when_the_sender_was_frozen_after_the_hold(app, client):
    admin = admin_client(app, client)
    alice = make_customer(app, "Alice Able", balance="500.00")
    bob = make_customer(app, "Bob Baker")
    txn_id = held_transfer(app, alice, bob, 30_000)
    with app.app_context():
        account_actions.freeze_account(
            alice.account_id, actor=Actor.web(admin.id), reason="fraud report"
        )
        db.session.remove()

    page = confirm_action(client, f"/admin/reviews/{txn_id}/approve", {"reason": "verified"})

    assert "sending account is frozen" in page.get_data(as_text=True)
    assert state(app, alice.account_id) == (50_000, 20_000)
    assert state(app, bob.account_id) == (0, 0)
    assert transaction(app, txn_id).status == "pending"
    assert audit_rows(app, "admin.review.approve") == []
    rejected = confirm_action(client, f"/admin/reviews/{txn_id}/reject", {"reason": "frozen"})
    assert "was rejected" in rejected.get_data(as_text=True)
    assert state(app, alice.account_id) == (50_000, 50_000)


def test_rejecting_a_held_transfer_releases_the_money(app, client):
    admin_client(app, client)
    alice = make_customer(app, "Alice Able", balance="500.00")
    bob = make_customer(app, "Bob Baker")
    txn_id = held_transfer(app, alice, bob, 30_000)

    page = confirm_action(client, f"/admin/reviews/{txn_id}/reject", {"reason": "suspicious"})
    assert "was rejected" in page.get_data(as_text=True)
    assert state(app, alice.account_id) == (50_000, 50_000)
    assert state(app, bob.account_id) == (0, 0)
    txn = transaction(app, txn_id)
    assert txn.status == "rejected" and txn.decision_reason == "suspicious"
    (row,) = audit_rows(app, "admin.review.reject")
    assert row.details["reason"] == "suspicious"


def test_deciding_twice_shows_a_clear_message(app, client):
    admin_client(app, client)
    alice = make_customer(app, "Alice Able", balance="500.00")
    bob = make_customer(app, "Bob Baker")
    txn_id = held_transfer(app, alice, bob, 30_000)
    confirm_action(client, f"/admin/reviews/{txn_id}/reject", {"reason": "no"})
    page = confirm_action(client, f"/admin/reviews/{txn_id}/approve", {"reason": "yes"})
    assert "no longer awaiting review" in page.get_data(as_text=True)
    assert state(app, bob.account_id) == (0, 0)


def test_review_decision_needs_a_reason(app, client):
    admin_client(app, client)
    alice = make_customer(app, "Alice Able", balance="500.00")
    bob = make_customer(app, "Bob Baker")
    txn_id = held_transfer(app, alice, bob, 30_000)
    response = start_action(client, f"/admin/reviews/{txn_id}/approve", {"reason": ""})
    assert response.status_code == 400
    assert transaction(app, txn_id).status == "pending"
