"""Reversals (a mirror, once only) and holds (reserve, then capture or release)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from banking.core import ledger
from banking.core.models import Hold, JournalTransaction
from banking.core.models.base import utcnow
from tests.support.builders import make_admin, set_status
from tests.support.ledger import (
    adjust,
    call,
    count_transactions,
    entries_of,
    send,
    state,
    verify,
)

REVIEW = ledger.Limits(review_threshold=5000, hold_days=7)


@pytest.fixture
def admin(database):
    return make_admin(database)


def hold_state(database, transaction_id):
    with database.session() as session:
        txn = session.get(JournalTransaction, transaction_id)
        hold = session.scalar(select(Hold).where(Hold.transaction_id == transaction_id))
        values = (txn.status, hold.active if hold else None, txn.decided_by_id)
        return values


# Reversals -----------------------------------------------------------------------------
def test_reversal_posts_the_mirror_image_and_restores_balances(database, alice, bob, admin):
    original = send(database, alice.account_id, bob.account_id, 3000)

    reversal = call(
        database,
        ledger.reverse_transaction,
        original.transaction_id,
        initiator_id=admin.id,
        reason="x",
    )

    assert reversal.status == "posted"
    assert entries_of(database, reversal.transaction_id) == [
        (bob.account_id, -3000, 0),
        (alice.account_id, 3000, 10000),
    ]
    assert state(database, alice.account_id) == (10000, 10000)
    assert state(database, bob.account_id) == (0, 0)
    with database.session() as session:
        row = session.get(JournalTransaction, reversal.transaction_id)
        assert (row.kind, row.reverses_id, row.decided_by_id) == (
            "reversal",
            original.transaction_id,
            admin.id,
        )
        assert "Reversal of #" in row.memo
    assert verify(database, deep=True).ok


def test_a_transaction_is_reversed_only_once(database, alice, bob, admin):
    original = send(database, alice.account_id, bob.account_id, 3000)
    call(
        database,
        ledger.reverse_transaction,
        original.transaction_id,
        initiator_id=admin.id,
        reason="",
    )

    with pytest.raises(ledger.AlreadyReversed):
        call(
            database,
            ledger.reverse_transaction,
            original.transaction_id,
            initiator_id=admin.id,
            reason="again",
        )
    assert count_transactions(database, kind="reversal") == 1
    assert state(database, alice.account_id) == (10000, 10000)


def test_a_reversal_cannot_itself_be_reversed(database, alice, bob, admin):
    original = send(database, alice.account_id, bob.account_id, 3000)
    reversal = call(
        database,
        ledger.reverse_transaction,
        original.transaction_id,
        initiator_id=admin.id,
        reason="",
    )
    with pytest.raises(ledger.NotReversible):
        call(
            database,
            ledger.reverse_transaction,
            reversal.transaction_id,
            initiator_id=admin.id,
            reason="",
        )


def test_a_pending_transfer_is_not_reversible(database, alice, bob, admin):
    held = send(database, alice.account_id, bob.account_id, 6000, limits=REVIEW)
    with pytest.raises(ledger.NotReversible):
        call(
            database,
            ledger.reverse_transaction,
            held.transaction_id,
            initiator_id=admin.id,
            reason="",
        )


def test_reversing_an_unknown_transaction_is_refused(database, admin):
    with pytest.raises(ledger.LedgerError, match="not found"):
        call(database, ledger.reverse_transaction, 424242, initiator_id=admin.id, reason="")


def test_reversal_refused_when_the_recipient_already_spent_the_money(database, alice, bob, admin):
    original = send(database, alice.account_id, bob.account_id, 3000)
    send(database, bob.account_id, alice.account_id, 2000)
    with pytest.raises(ledger.InsufficientFunds):
        call(
            database,
            ledger.reverse_transaction,
            original.transaction_id,
            initiator_id=admin.id,
            reason="",
        )
    assert count_transactions(database, kind="reversal") == 0


def test_reversal_of_a_deposit_takes_the_money_back_out(database, alice, admin):
    deposit = adjust(
        database, alice.account_id, 2500, kind="deposit", system_code=ledger.EXTERNAL_CASH
    )
    call(
        database,
        ledger.reverse_transaction,
        deposit.transaction_id,
        initiator_id=admin.id,
        reason="",
    )
    assert state(database, alice.account_id) == (10000, 10000)
    assert verify(database).ok


def test_concurrent_double_reversal_posts_one(database, requires_postgres, alice, bob, admin):
    original = send(database, alice.account_id, bob.account_id, 3000)
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def reverse() -> None:
        with database.session() as session:
            barrier.wait()
            try:
                ledger.reverse_transaction(
                    session, original.transaction_id, initiator_id=admin.id, reason="race"
                )
                outcomes.append("reversed")
            except ledger.AlreadyReversed:
                outcomes.append("already")

    threads = [threading.Thread(target=reverse) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["already"] * 5 + ["reversed"]
    assert count_transactions(database, kind="reversal") == 1
    assert state(database, alice.account_id) == (10000, 10000)
    assert verify(database).ok


# Holds ---------------------------------------------------------------------------------
def test_transfer_above_the_review_threshold_is_held(database, alice, bob):
    held = send(
        database, alice.account_id, bob.account_id, 6000, initiator_id=alice.id, limits=REVIEW
    )

    assert held.status == "pending"
    assert state(database, alice.account_id) == (10000, 4000)  # reserved, not moved
    assert state(database, bob.account_id) == (0, 0)
    assert entries_of(database, held.transaction_id) == []
    assert hold_state(database, held.transaction_id) == ("pending", True, None)
    assert verify(database).ok


def test_transfer_at_the_review_threshold_is_not_held(database, alice, bob):
    result = send(database, alice.account_id, bob.account_id, 5000, limits=REVIEW)
    assert result.status == "posted"


def test_held_money_cannot_be_spent_twice(database, alice, bob):
    send(database, alice.account_id, bob.account_id, 6000, limits=REVIEW)
    with pytest.raises(ledger.InsufficientFunds):
        send(database, alice.account_id, bob.account_id, 4001)
    send(database, alice.account_id, bob.account_id, 4000)
    assert state(database, alice.account_id) == (6000, 0)


def test_approving_a_hold_moves_the_money(database, alice, bob, admin):
    held = send(database, alice.account_id, bob.account_id, 6000, limits=REVIEW)

    result = call(
        database, ledger.approve_hold, held.transaction_id, admin_id=admin.id, reason="ok"
    )

    assert result.status == "posted"
    assert state(database, alice.account_id) == (4000, 4000)
    assert state(database, bob.account_id) == (6000, 6000)
    assert entries_of(database, held.transaction_id) == [
        (alice.account_id, -6000, 4000),
        (bob.account_id, 6000, 6000),
    ]
    assert hold_state(database, held.transaction_id) == ("posted", False, admin.id)
    assert verify(database, deep=True).ok


def test_rejecting_a_hold_releases_the_money(database, alice, bob, admin):
    held = send(database, alice.account_id, bob.account_id, 6000, limits=REVIEW)

    result = call(
        database, ledger.reject_hold, held.transaction_id, admin_id=admin.id, reason="fraud"
    )

    assert result.status == "rejected"
    assert state(database, alice.account_id) == (10000, 10000)
    assert state(database, bob.account_id) == (0, 0)
    assert hold_state(database, held.transaction_id) == ("rejected", False, admin.id)
    assert verify(database).ok


def test_a_decided_hold_is_no_longer_pending(database, alice, bob, admin):
    held = send(database, alice.account_id, bob.account_id, 6000, limits=REVIEW)
    call(database, ledger.approve_hold, held.transaction_id, admin_id=admin.id, reason="ok")

    with pytest.raises(ledger.NotPending):
        call(database, ledger.approve_hold, held.transaction_id, admin_id=admin.id, reason="twice")
    with pytest.raises(ledger.NotPending):
        call(database, ledger.reject_hold, held.transaction_id, admin_id=admin.id, reason="late")
    assert state(database, bob.account_id) == (6000, 6000)


def test_deciding_a_posted_or_unknown_transaction_is_not_pending(database, alice, bob, admin):
    posted = send(database, alice.account_id, bob.account_id, 100)
    with pytest.raises(ledger.NotPending):
        call(database, ledger.approve_hold, posted.transaction_id, admin_id=admin.id, reason="")
    with pytest.raises(ledger.NotPending):
        call(database, ledger.reject_hold, 424242, admin_id=admin.id, reason="")


def test_approving_to_a_frozen_account_is_refused_and_the_hold_stays(database, alice, bob, admin):
    held = send(database, alice.account_id, bob.account_id, 6000, limits=REVIEW)
    set_status(database, bob.account_id, "frozen")

    with pytest.raises(ledger.AccountFrozen):
        call(database, ledger.approve_hold, held.transaction_id, admin_id=admin.id, reason="ok")

    assert hold_state(database, held.transaction_id) == ("pending", True, None)
    assert state(database, alice.account_id) == (10000, 4000)
    assert state(database, bob.account_id) == (0, 0)
    # It can still be released.
    call(database, ledger.reject_hold, held.transaction_id, admin_id=admin.id, reason="frozen")
    assert state(database, alice.account_id) == (10000, 10000)


@pytest.mark.parametrize(
    ("status", "error"), [("frozen", ledger.AccountFrozen), ("closed", ledger.AccountClosed)]
)
@pytest.mark.corrupts_ledger
def test_approving_when_the_sender_was_frozen_or_closed_since_is_refused(
    database, alice, bob, admin, status, error
):
    held = send(database, alice.account_id, bob.account_id, 6000, limits=REVIEW)
    set_status(database, alice.account_id, status)

    with pytest.raises(error, match="sending account"):
        call(database, ledger.approve_hold, held.transaction_id, admin_id=admin.id, reason="ok")

    assert hold_state(database, held.transaction_id) == ("pending", True, None)
    assert state(database, alice.account_id) == (10000, 4000)
    assert state(database, bob.account_id) == (0, 0)
    assert count_transactions(database, status="posted", kind="transfer") == 0
    # Rejecting stays allowed: it only gives the reservation back.
    call(database, ledger.reject_hold, held.transaction_id, admin_id=admin.id, reason="frozen")
    assert state(database, alice.account_id) == (10000, 10000)
    # Raw SQL closed an account holding money here (the ledger never would): verify says so.
    expected = {"closed_account"} if status == "closed" else set()
    assert {breach.check for breach in verify(database).breaches} == expected


def test_expired_holds_are_released(database, alice, bob):
    held = send(database, alice.account_id, bob.account_id, 6000, limits=REVIEW)
    fresh = send(
        database, alice.account_id, bob.account_id, 3000, limits=ledger.Limits(review_threshold=1)
    )

    with database.session() as session:
        assert ledger.expire_holds(session) == 0  # nothing is due yet
        session.execute(
            update(Hold)
            .where(Hold.transaction_id == held.transaction_id)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        session.commit()
        assert ledger.expire_holds(session) == 1
        assert ledger.expire_holds(session) == 0

    assert hold_state(database, held.transaction_id) == ("expired", False, None)
    assert hold_state(database, fresh.transaction_id) == ("pending", True, None)
    assert state(database, alice.account_id) == (10000, 7000)
    assert verify(database).ok


def test_expire_holds_with_a_later_clock_releases_everything_due(database, alice, bob):
    send(database, alice.account_id, bob.account_id, 6000, limits=REVIEW)
    send(database, alice.account_id, bob.account_id, 3000, limits=ledger.Limits(review_threshold=1))
    with database.session() as session:
        released = ledger.expire_holds(session, now=utcnow() + timedelta(days=8))
    assert released == 2
    assert state(database, alice.account_id) == (10000, 10000)


def test_expire_holds_runs_the_hook_inside_each_release(database, alice, bob):
    held = send(database, alice.account_id, bob.account_id, 6000, limits=REVIEW)
    seen = []

    def hook(session, txn):
        seen.append((txn.id, txn.status))

    with database.session() as session:
        released = ledger.expire_holds(session, now=utcnow() + timedelta(days=8), on_expired=hook)

    assert released == 1
    assert seen == [(held.transaction_id, "expired")]


def test_a_failing_expiry_hook_leaves_the_hold_in_place(database, alice, bob):
    """The audit row and the release commit together or not at all."""
    held = send(database, alice.account_id, bob.account_id, 6000, limits=REVIEW)

    def broken_audit(session, txn):
        raise RuntimeError("audit store down")

    with database.session() as session, pytest.raises(RuntimeError):
        ledger.expire_holds(session, now=utcnow() + timedelta(days=8), on_expired=broken_audit)

    assert hold_state(database, held.transaction_id) == ("pending", True, None)
    assert state(database, alice.account_id) == (10000, 4000)
