"""The core's announcements: each posting's outcome, each retry and each audit row reach
their listeners (how metrics count them without the core importing prometheus_client)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy.exc import OperationalError

from banking.core import audit, ledger
from banking.core.ledger.retries import with_retries
from banking.core.money import InvalidAmount
from tests.support.builders import make_admin, set_status
from tests.support.ledger import adjust, call, send

POSTED, HELD, REFUSED = ledger.Outcome.POSTED, ledger.Outcome.HELD, ledger.Outcome.REFUSED


@contextmanager
def heard_postings() -> Iterator[list[ledger.PostingEvent]]:
    heard: list[ledger.PostingEvent] = []
    unsubscribe = ledger.on_posting(heard.append)
    try:
        yield heard
    finally:
        unsubscribe()


def test_a_posted_and_a_held_transfer_are_announced_with_their_kind(database, alice, bob):
    with heard_postings() as heard:
        send(database, alice.account_id, bob.account_id, 100)
        send(
            database,
            alice.account_id,
            bob.account_id,
            5000,
            owner_id=alice.id,
            limits=ledger.Limits(review_threshold=1000),
        )

    assert heard == [
        ledger.PostingEvent("transfer", POSTED),
        ledger.PostingEvent("transfer", HELD),
    ]


def test_a_refusal_is_announced_with_its_code_as_the_reason(database, alice, bob):
    with heard_postings() as heard:
        with pytest.raises(ledger.InsufficientFunds):
            send(database, bob.account_id, alice.account_id, 100)
        set_status(database, bob.account_id, "frozen")
        with pytest.raises(ledger.AccountFrozen):
            send(database, alice.account_id, bob.account_id, 100)
        with pytest.raises(InvalidAmount):
            send(database, alice.account_id, bob.account_id, 0)

    assert heard == [
        ledger.PostingEvent("transfer", REFUSED, "insufficient_funds"),
        ledger.PostingEvent("transfer", REFUSED, "account_frozen"),
        ledger.PostingEvent("transfer", REFUSED, "invalid_amount"),
    ]


def test_adjustments_are_announced_by_their_kind_refusals_before_the_retry_loop_too(
    database, alice
):
    with heard_postings() as heard:
        adjust(database, alice.account_id, 500, kind="deposit", system_code=ledger.EXTERNAL_CASH)
        with pytest.raises(ledger.AccountNotFound):
            adjust(database, 999_999, 500)
        with pytest.raises(InvalidAmount):
            adjust(database, alice.account_id, 0)

    assert heard == [
        ledger.PostingEvent("deposit", POSTED),
        ledger.PostingEvent("adjustment", REFUSED, "account_not_found"),
        ledger.PostingEvent("adjustment", REFUSED, "invalid_amount"),
    ]


def test_a_replay_moves_nothing_and_is_not_announced_again(database, alice, bob):
    with heard_postings() as heard:
        first = send(database, alice.account_id, bob.account_id, 100, key="same")
        again = send(database, alice.account_id, bob.account_id, 100, key="same")

    assert again.replayed and again.transaction_id == first.transaction_id
    assert heard == [ledger.PostingEvent("transfer", POSTED)]


def test_a_reversal_and_a_second_reversal_are_announced(database, alice, bob):
    admin = make_admin(database)
    original = send(database, alice.account_id, bob.account_id, 100)
    reverse = (ledger.reverse_transaction, original.transaction_id)
    with heard_postings() as heard:
        call(database, *reverse, initiator_id=admin.id, reason="mistake")
        with pytest.raises(ledger.AlreadyReversed):
            call(database, *reverse, initiator_id=admin.id, reason="again")

    assert heard == [
        ledger.PostingEvent("reversal", POSTED),
        ledger.PostingEvent("reversal", REFUSED, "already_reversed"),
    ]


def test_a_broken_posting_listener_never_fails_the_transfer(database, alice, bob, caplog):
    def broken(_event: ledger.PostingEvent) -> None:
        raise RuntimeError("metrics backend down")

    unsubscribe = ledger.on_posting(broken)
    try:
        with heard_postings() as heard:
            result = send(database, alice.account_id, bob.account_id, 100)
    finally:
        unsubscribe()
    assert result.status == "posted"
    assert heard == [ledger.PostingEvent("transfer", POSTED)]  # later listeners still hear
    assert "ledger posting listener failed" in caplog.text


def test_the_retry_loop_announces_each_retry_it_makes(database):
    attempts = iterate_failures(2)
    with database.session() as session, ledger.counting_retries() as counter:
        assert with_retries(session, attempts, max_retries=3) == "done"
    assert counter.by_reason == {"database_locked": 2}


def iterate_failures(failures: int):
    """An attempt that loses `failures` races (SQLite's "database is locked"), then works."""
    state = {"left": failures}

    def attempt() -> str:
        if state["left"]:
            state["left"] -= 1
            raise OperationalError("UPDATE accounts", {}, Exception("database is locked"))
        return "done"

    return attempt


def test_audit_listeners_hear_each_row_without_its_secrets(database, alice):
    heard: list[audit.Recorded] = []
    unsubscribe = audit.on_record(heard.append)
    try:
        with database.session() as session:
            audit.record(
                session,
                "auth.login_failed",
                actor_id=alice.id,
                success=False,
                details={"reason": "bad_password", "password": "hunter2"},
            )
    finally:
        unsubscribe()
    assert heard == [audit.Recorded("auth.login_failed", False, {"reason": "bad_password"})]
    with pytest.raises(TypeError):
        heard[0].details["reason"] = "changed"  # type: ignore[index]  # read-only view
