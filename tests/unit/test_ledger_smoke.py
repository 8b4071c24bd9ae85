"""A first check that the posting path balances (the full ledger suite builds on it)."""

from uuid import uuid4

from banking import ledger
from banking.extensions import db
from banking.models import Account
from tests.builders import fund, make_customer


def test_transfer_moves_money_and_balances(app):
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    with app.app_context():
        result = ledger.post_transfer(
            db.session,
            source_id=alice.account_id,
            destination_id=bob.account_id,
            amount=2550,
            initiator_id=alice.id,
            key=str(uuid4()),
            owner_id=alice.id,
        )
        assert result.status == "posted"
        assert db.session.get(Account, alice.account_id).balance == 10000 - 2550
        assert db.session.get(Account, bob.account_id).balance == 2550


def test_overdraw_is_refused(app):
    alice = make_customer(app, "Alice Able", balance="10.00")
    bob = make_customer(app, "Bob Baker")
    fund(app, bob.account_id, "1.00")
    with app.app_context():
        try:
            ledger.post_transfer(
                db.session,
                source_id=alice.account_id,
                destination_id=bob.account_id,
                amount=1001,
                initiator_id=alice.id,
                key="k1",
            )
        except ledger.InsufficientFunds:
            pass
        else:
            raise AssertionError("overdraft allowed")
        assert db.session.get(Account, alice.account_id).balance == 1000
