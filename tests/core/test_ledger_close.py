"""Closing an account: only at zero, with nothing awaiting review, checked under the row lock."""

from __future__ import annotations

import threading
import time

import pytest

from banking.core import ledger
from banking.core.models import Account
from tests.support.builders import detached, make_customer, set_status
from tests.support.ledger import call, send, state, verify

REVIEW = ledger.Limits(review_threshold=5000)


def status_of(database, account_id: int) -> str:
    return detached(database, Account, account_id).status


def blockers_of(excinfo) -> set[ledger.CloseBlocker]:
    return set(excinfo.value.blockers)


def test_an_empty_account_closes(database, bob):
    call(database, ledger.close_account, bob.account_id, reason="moving abroad")
    row = detached(database, Account, bob.account_id)
    assert (row.status, row.status_reason) == ("closed", "moving abroad")
    assert row.closed_at is not None
    assert verify(database).ok


def test_an_account_with_money_does_not_close(database, alice):
    with pytest.raises(ledger.AccountNotClosable) as caught:
        call(database, ledger.close_account, alice.account_id)
    assert blockers_of(caught) == {ledger.CloseBlocker.BALANCE}
    assert status_of(database, alice.account_id) == "active"


def test_an_account_with_an_outgoing_hold_does_not_close_even_at_zero_available(database, bob):
    funded = make_customer(database, "Carol", balance="60.00")
    send(database, funded.account_id, bob.account_id, 6000, limits=REVIEW)  # all of it, held
    with pytest.raises(ledger.AccountNotClosable) as caught:
        call(database, ledger.close_account, funded.account_id)
    assert blockers_of(caught) == {ledger.CloseBlocker.BALANCE, ledger.CloseBlocker.PENDING_OUT}


def test_an_account_with_an_incoming_transfer_awaiting_review_does_not_close(database, alice, bob):
    """Money may still arrive: closing now would leave the approval nowhere to go."""
    send(database, alice.account_id, bob.account_id, 6000, limits=REVIEW)
    with pytest.raises(ledger.AccountNotClosable) as caught:
        call(database, ledger.close_account, bob.account_id)
    assert blockers_of(caught) == {ledger.CloseBlocker.PENDING_IN}
    assert status_of(database, bob.account_id) == "active"


def test_a_frozen_account_closes_only_when_the_caller_allows_it(database, bob):
    set_status(database, bob.account_id, "frozen")
    with pytest.raises(ledger.AccountNotClosable) as caught:
        call(database, ledger.close_account, bob.account_id)
    assert blockers_of(caught) == {ledger.CloseBlocker.FROZEN}
    call(database, ledger.close_account, bob.account_id, allow_frozen=True)
    assert status_of(database, bob.account_id) == "closed"


def test_closing_twice_is_refused(database, bob):
    call(database, ledger.close_account, bob.account_id)
    with pytest.raises(ledger.AccountNotClosable) as caught:
        call(database, ledger.close_account, bob.account_id)
    assert blockers_of(caught) == {ledger.CloseBlocker.ALREADY_CLOSED}


def test_someone_elses_or_a_system_account_is_not_found(database, alice, bob):
    with pytest.raises(ledger.AccountNotFound):
        call(database, ledger.close_account, bob.account_id, owner_id=alice.id)
    with database.session() as session:
        cash = ledger.system_account_id(session, ledger.EXTERNAL_CASH, "USD")
    with pytest.raises(ledger.AccountNotFound):
        call(database, ledger.close_account, cash)
    with pytest.raises(ledger.AccountNotFound):
        call(database, ledger.close_account, 987_654)
    assert status_of(database, bob.account_id) == "active"


def test_the_hook_runs_inside_the_close_and_its_failure_undoes_it(database, bob):
    def broken_audit(session, account):
        assert account.status == "closed"
        raise RuntimeError("audit store down")

    with pytest.raises(RuntimeError):
        call(database, ledger.close_account, bob.account_id, on_closed=broken_audit)
    assert status_of(database, bob.account_id) == "active"


def test_a_closed_account_can_no_longer_receive(database, alice, bob):
    call(database, ledger.close_account, bob.account_id)
    with pytest.raises(ledger.AccountClosed):
        send(database, alice.account_id, bob.account_id, 100)
    assert state(database, bob.account_id) == (0, 0)


def test_a_transfer_racing_a_close_never_leaves_a_closed_account_with_money(
    database, requires_postgres, alice, bob
):
    """The transfer arrives while the close is between its checks and its commit.

    Under the row lock it waits, then finds the account closed; without the lock it would
    commit first and the close would then shut an account holding the money.
    """
    outcome: dict[str, object] = {}
    arrived = threading.Event()

    def transfer_in() -> None:
        try:
            outcome["transfer"] = send(database, alice.account_id, bob.account_id, 2500)
        except ledger.LedgerError as exc:
            outcome["transfer"] = exc
        finally:
            arrived.set()

    def pause_before_commit(session, account) -> None:
        worker = threading.Thread(target=transfer_in)
        worker.start()
        arrived.wait(timeout=1.0)  # a transfer that doesn't wait for our lock is done by now
        outcome["worker"] = worker

    call(database, ledger.close_account, bob.account_id, on_closed=pause_before_commit)
    outcome["worker"].join(timeout=10)

    assert isinstance(outcome["transfer"], ledger.AccountClosed)
    assert status_of(database, bob.account_id) == "closed"
    assert state(database, bob.account_id) == (0, 0)
    assert state(database, alice.account_id) == (10000, 10000)
    assert verify(database).ok


def test_a_close_racing_a_transfer_waits_and_then_refuses(database, requires_postgres, alice, bob):
    """The other order: a posting holds the lock; the close waits, then sees the money."""
    holding = threading.Event()
    release = threading.Event()
    results: dict[str, object] = {}

    def slow_transfer() -> None:
        def wait_inside(session, txn) -> None:
            holding.set()
            release.wait(timeout=5)

        results["transfer"] = send(
            database, alice.account_id, bob.account_id, 2500, on_posted=wait_inside
        )

    worker = threading.Thread(target=slow_transfer)
    worker.start()
    assert holding.wait(timeout=5)

    def close() -> None:
        try:
            results["close"] = call(database, ledger.close_account, bob.account_id)
        except ledger.LedgerError as exc:
            results["close"] = exc

    closer = threading.Thread(target=close)
    closer.start()
    time.sleep(0.3)
    assert "close" not in results  # still waiting for the transfer's lock
    release.set()
    worker.join(timeout=10)
    closer.join(timeout=10)

    assert isinstance(results["close"], ledger.AccountNotClosable)
    assert status_of(database, bob.account_id) == "active"
    assert state(database, bob.account_id) == (2500, 2500)
