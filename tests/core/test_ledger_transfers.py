"""The posting path: what a transfer writes, and every reason it refuses to move money."""

from __future__ import annotations

from datetime import timedelta

import pytest

from banking.core import ledger
from banking.core.models.base import utcnow
from banking.core.money import MAX_AMOUNT_MINOR, InvalidAmount
from tests.support.builders import add_account, make_customer, set_status
from tests.support.ledger import (
    adjust,
    count_transactions,
    entries_of,
    execute,
    grand_total,
    send,
    state,
    verify,
)


def assert_nothing_moved(database, *accounts: tuple[int, tuple[int, int]]) -> None:
    for account_id, before in accounts:
        assert state(database, account_id) == before


# What a transfer writes ----------------------------------------------------------------
def test_transfer_moves_money_and_reports_new_balances(database, alice, bob):
    result = send(database, alice.account_id, bob.account_id, 2550, initiator_id=alice.id)

    assert result.status == "posted"
    assert result.replayed is False
    assert result.balances == {alice.account_id: 7450, bob.account_id: 2550}
    assert state(database, alice.account_id) == (7450, 7450)
    assert state(database, bob.account_id) == (2550, 2550)


def test_transfer_entries_sum_to_zero_and_carry_the_balance_after(database, alice, bob):
    first = send(database, alice.account_id, bob.account_id, 1000)
    second = send(database, alice.account_id, bob.account_id, 250)

    assert entries_of(database, first.transaction_id) == [
        (alice.account_id, -1000, 9000),
        (bob.account_id, 1000, 1000),
    ]
    assert entries_of(database, second.transaction_id) == [
        (alice.account_id, -250, 8750),
        (bob.account_id, 250, 1250),
    ]
    assert verify(database, deep=True).ok


def test_every_transaction_sums_to_zero_after_mixed_movements(database, alice, bob):
    send(database, alice.account_id, bob.account_id, 1234)
    send(database, bob.account_id, alice.account_id, 34)
    adjust(database, bob.account_id, -200, kind="withdrawal", system_code=ledger.EXTERNAL_CASH)
    adjust(database, alice.account_id, 17, kind="interest", system_code=ledger.INTEREST_EXPENSE)

    report = verify(database, deep=True)
    assert report.ok, report.format()
    assert grand_total(database) == (0, 0)


def test_system_accounts_carry_the_other_side_so_the_grand_total_stays_zero(database, alice):
    adjust(database, alice.account_id, 5000, kind="deposit", system_code=ledger.EXTERNAL_CASH)
    adjust(database, alice.account_id, -3000, kind="withdrawal", system_code=ledger.EXTERNAL_CASH)
    adjust(database, alice.account_id, 42, kind="interest", system_code=ledger.INTEREST_EXPENSE)
    adjust(database, alice.account_id, -7, system_code=ledger.SUSPENSE)

    with database.session() as session:
        codes = ledger.ensure_system_accounts(session)
    assert state(database, codes[ledger.EXTERNAL_CASH])[0] == -(10000 + 5000 - 3000)
    assert state(database, codes[ledger.INTEREST_EXPENSE])[0] == -42
    assert state(database, codes[ledger.SUSPENSE])[0] == 7
    assert state(database, alice.account_id)[0] == 10000 + 5000 - 3000 + 42 - 7
    assert grand_total(database) == (0, 0)


def test_ensure_system_accounts_is_idempotent(database):
    with database.session() as session:
        first = ledger.ensure_system_accounts(session)
        second = ledger.ensure_system_accounts(session)
        assert first == second
        assert set(first) == set(ledger.SYSTEM_ACCOUNTS)
        assert ledger.system_account_id(session, ledger.SUSPENSE, "USD") == first[ledger.SUSPENSE]
        with pytest.raises(ledger.AccountNotFound):
            ledger.system_account_id(session, "no_such_code", "USD")


def test_on_posted_hook_failing_rolls_the_whole_movement_back(database, alice, bob):
    def broken_audit(session, txn):
        raise RuntimeError("audit store down")

    with pytest.raises(RuntimeError):
        send(database, alice.account_id, bob.account_id, 100, on_posted=broken_audit)

    assert state(database, alice.account_id) == (10000, 10000)
    assert count_transactions(database, kind="transfer") == 0


# Accounts ------------------------------------------------------------------------------
def test_unknown_source_account_is_not_found(database, bob):
    with pytest.raises(ledger.AccountNotFound):
        send(database, 999_999, bob.account_id, 100)


def test_unknown_destination_account_is_not_found(database, alice):
    with pytest.raises(ledger.AccountNotFound):
        send(database, alice.account_id, 999_999, 100)
    assert state(database, alice.account_id) == (10000, 10000)


def test_source_owned_by_someone_else_is_not_found(database, alice, bob):
    """Bob cannot spend from Alice's account, nor learn that it exists."""
    with pytest.raises(ledger.AccountNotFound):
        send(database, alice.account_id, bob.account_id, 100, initiator_id=bob.id, owner_id=bob.id)
    assert_nothing_moved(database, (alice.account_id, (10000, 10000)), (bob.account_id, (0, 0)))


def test_own_source_passes_the_owner_scope(database, alice, bob):
    result = send(
        database, alice.account_id, bob.account_id, 100, initiator_id=alice.id, owner_id=alice.id
    )
    assert result.status == "posted"


@pytest.mark.parametrize("code", sorted(ledger.SYSTEM_ACCOUNTS))
def test_customer_transfer_cannot_touch_a_system_account(database, alice, code):
    with database.session() as session:
        system_id = ledger.system_account_id(session, code, "USD")
    with pytest.raises(ledger.AccountNotFound):
        send(database, alice.account_id, system_id, 100)
    with pytest.raises(ledger.AccountNotFound):
        send(database, system_id, alice.account_id, 100)
    assert state(database, alice.account_id) == (10000, 10000)


def test_frozen_source_cannot_send(database, alice, bob):
    set_status(database, alice.account_id, "frozen")
    with pytest.raises(ledger.AccountFrozen, match="sending account is frozen and cannot send"):
        send(database, alice.account_id, bob.account_id, 100)
    assert_nothing_moved(database, (alice.account_id, (10000, 10000)), (bob.account_id, (0, 0)))


def test_frozen_destination_cannot_receive(database, alice, bob):
    set_status(database, bob.account_id, "frozen")
    with pytest.raises(
        ledger.AccountFrozen, match="receiving account is frozen and cannot receive"
    ):
        send(database, alice.account_id, bob.account_id, 100)
    assert_nothing_moved(database, (alice.account_id, (10000, 10000)), (bob.account_id, (0, 0)))


def test_admin_adjustment_may_correct_a_frozen_account(database, alice):
    set_status(database, alice.account_id, "frozen")
    adjust(database, alice.account_id, -500)
    assert state(database, alice.account_id) == (9500, 9500)


@pytest.mark.corrupts_ledger
@pytest.mark.parametrize("side", ["source", "destination"])
def test_closed_account_is_refused_on_either_side(database, alice, bob, side):
    closed = alice.account_id if side == "source" else bob.account_id
    set_status(database, closed, "closed")
    with pytest.raises(ledger.AccountClosed):
        send(database, alice.account_id, bob.account_id, 100)
    assert_nothing_moved(database, (alice.account_id, (10000, 10000)), (bob.account_id, (0, 0)))


@pytest.mark.corrupts_ledger
def test_closed_account_refuses_even_an_adjustment(database, alice):
    set_status(database, alice.account_id, "closed")
    with pytest.raises(ledger.AccountClosed):
        adjust(database, alice.account_id, 100)


def test_same_account_on_both_sides_is_refused(database, alice):
    with pytest.raises(ledger.SameAccount):
        send(database, alice.account_id, alice.account_id, 100)
    assert state(database, alice.account_id) == (10000, 10000)


def test_different_currencies_are_refused(database, alice):
    euro = add_account(database, alice.id, kind="checking", currency="EUR")
    with pytest.raises(ledger.CurrencyMismatch):
        send(database, alice.account_id, euro, 100)
    assert state(database, alice.account_id) == (10000, 10000)


# Amounts and funds ---------------------------------------------------------------------
@pytest.mark.parametrize("amount", [0, -1, -10000, MAX_AMOUNT_MINOR + 1, 10**30, 1.5, True, "100"])
def test_invalid_amounts_are_refused(database, alice, bob, amount):
    with pytest.raises(InvalidAmount):
        send(database, alice.account_id, bob.account_id, amount)
    assert state(database, alice.account_id) == (10000, 10000)


def test_largest_allowed_amount_is_accepted_when_covered(database, alice, bob):
    adjust(database, alice.account_id, MAX_AMOUNT_MINOR)
    result = send(database, alice.account_id, bob.account_id, MAX_AMOUNT_MINOR)
    assert result.status == "posted"
    assert state(database, bob.account_id) == (MAX_AMOUNT_MINOR, MAX_AMOUNT_MINOR)


@pytest.mark.parametrize("amount", [0, 0.5, MAX_AMOUNT_MINOR + 1, -(MAX_AMOUNT_MINOR + 1)])
def test_invalid_adjustment_amounts_are_refused(database, alice, amount):
    with pytest.raises(InvalidAmount):
        adjust(database, alice.account_id, amount)
    assert state(database, alice.account_id) == (10000, 10000)


def test_overdraw_is_refused_and_nothing_moves(database, alice, bob):
    with pytest.raises(ledger.InsufficientFunds):
        send(database, alice.account_id, bob.account_id, 10001)
    assert_nothing_moved(database, (alice.account_id, (10000, 10000)), (bob.account_id, (0, 0)))


def test_spending_exactly_the_balance_is_allowed(database, alice, bob):
    send(database, alice.account_id, bob.account_id, 10000)
    assert state(database, alice.account_id) == (0, 0)


def test_overdraft_limit_allows_going_down_to_it_but_not_beyond(database, alice, bob):
    execute(
        database, "UPDATE accounts SET overdraft_limit = 5000 WHERE id = :id", id=alice.account_id
    )
    send(database, alice.account_id, bob.account_id, 14000)
    assert state(database, alice.account_id) == (-4000, -4000)
    with pytest.raises(ledger.InsufficientFunds):
        send(database, alice.account_id, bob.account_id, 1001)
    send(database, alice.account_id, bob.account_id, 1000)
    assert state(database, alice.account_id) == (-5000, -5000)
    assert verify(database).ok


def test_withdrawal_beyond_the_balance_is_refused(database, alice):
    with pytest.raises(ledger.InsufficientFunds):
        adjust(
            database, alice.account_id, -10001, kind="withdrawal", system_code=ledger.EXTERNAL_CASH
        )
    assert state(database, alice.account_id) == (10000, 10000)


# Limits --------------------------------------------------------------------------------
def test_per_transfer_limit_refuses_a_larger_transfer(database, alice, bob):
    limits = ledger.Limits(per_transfer=5000)
    with pytest.raises(ledger.LimitExceeded, match="per-transfer"):
        send(database, alice.account_id, bob.account_id, 5001, initiator_id=alice.id, limits=limits)
    send(database, alice.account_id, bob.account_id, 5000, initiator_id=alice.id, limits=limits)
    assert state(database, bob.account_id) == (5000, 5000)


def test_rolling_24h_limit_counts_what_was_sent_today(database, alice, bob):
    limits = ledger.Limits(daily=6000)
    send(database, alice.account_id, bob.account_id, 4000, initiator_id=alice.id, limits=limits)
    with pytest.raises(ledger.LimitExceeded, match="24-hour"):
        send(database, alice.account_id, bob.account_id, 2001, initiator_id=alice.id, limits=limits)
    send(database, alice.account_id, bob.account_id, 2000, initiator_id=alice.id, limits=limits)
    assert state(database, alice.account_id) == (4000, 4000)


def test_rolling_24h_limit_forgets_transfers_older_than_a_day(database, alice, bob):
    limits = ledger.Limits(daily=6000)
    old = send(
        database, alice.account_id, bob.account_id, 5000, initiator_id=alice.id, limits=limits
    )
    execute(
        database,
        "UPDATE journal_transactions SET created_at = :when WHERE id = :id",
        when=utcnow() - timedelta(hours=24, minutes=1),
        id=old.transaction_id,
    )
    send(database, alice.account_id, bob.account_id, 5000, initiator_id=alice.id, limits=limits)
    assert state(database, bob.account_id) == (10000, 10000)


def test_rolling_24h_limit_is_per_customer(database, alice, bob):
    limits = ledger.Limits(daily=6000)
    carol = make_customer(database, "Carol Clark", balance="100.00")
    send(database, alice.account_id, bob.account_id, 6000, initiator_id=alice.id, limits=limits)
    send(database, carol.account_id, bob.account_id, 6000, initiator_id=carol.id, limits=limits)
    assert state(database, bob.account_id) == (12000, 12000)


def test_spent_last_24h_counts_posted_and_held_but_not_rejected_transfers(database, alice, bob):
    admin_limits = ledger.Limits(review_threshold=1000)
    send(database, alice.account_id, bob.account_id, 500, initiator_id=alice.id)
    held = send(
        database, alice.account_id, bob.account_id, 2000, initiator_id=alice.id, limits=admin_limits
    )
    rejected = send(
        database, alice.account_id, bob.account_id, 3000, initiator_id=alice.id, limits=admin_limits
    )
    with database.session() as session:
        ledger.reject_hold(session, rejected.transaction_id, admin_id=bob.id, reason="no")
        assert ledger.spent_last_24h(session, alice.id) == 500 + 2000
        assert held.status == "pending"


def test_limits_do_not_apply_to_admin_adjustments(database, alice):
    adjust(database, alice.account_id, 10**9)
    assert state(database, alice.account_id)[0] == 10000 + 10**9


# Idempotency ---------------------------------------------------------------------------
def test_same_key_returns_the_first_result_and_moves_money_once(database, alice, bob):
    first = send(database, alice.account_id, bob.account_id, 700, initiator_id=alice.id, key="k-1")
    again = send(database, alice.account_id, bob.account_id, 700, initiator_id=alice.id, key="k-1")

    assert again.replayed is True
    assert again.transaction_id == first.transaction_id
    assert again.status == first.status
    assert state(database, alice.account_id) == (9300, 9300)
    assert count_transactions(database, kind="transfer") == 1


def test_replay_still_answers_after_the_account_was_frozen(database, alice, bob):
    first = send(database, alice.account_id, bob.account_id, 700, initiator_id=alice.id, key="k-1")
    set_status(database, alice.account_id, "frozen")
    again = send(database, alice.account_id, bob.account_id, 700, initiator_id=alice.id, key="k-1")
    assert again.transaction_id == first.transaction_id


@pytest.mark.parametrize("change", ["amount", "destination", "source"])
def test_same_key_with_different_details_is_a_conflict(database, alice, bob, change):
    carol = make_customer(database, "Carol Clark", balance="50.00")
    send(database, alice.account_id, bob.account_id, 700, initiator_id=alice.id, key="k-1")
    details = {"source_id": alice.account_id, "destination_id": bob.account_id, "amount": 700}
    details.update(
        {"amount": 701}
        if change == "amount"
        else {"destination_id": carol.account_id}
        if change == "destination"
        else {"source_id": carol.account_id, "destination_id": bob.account_id}
    )
    with pytest.raises(ledger.IdempotencyConflict):
        send(database, initiator_id=alice.id, key="k-1", **details)
    assert state(database, alice.account_id) == (9300, 9300)
    assert count_transactions(database, kind="transfer") == 1


def test_keys_are_scoped_per_initiator(database, alice, bob):
    """Bob reusing Alice's key neither sees her result nor is refused: his is a new transfer."""
    send(database, alice.account_id, bob.account_id, 700, initiator_id=alice.id, key="shared")
    fund_bob = adjust(database, bob.account_id, 1000)
    assert fund_bob.status == "posted"

    bobs = send(database, bob.account_id, alice.account_id, 300, initiator_id=bob.id, key="shared")

    assert bobs.replayed is False
    assert state(database, bob.account_id) == (700 + 1000 - 300, 1400)
    assert count_transactions(database, kind="transfer") == 2


def test_adjustment_key_is_idempotent_too(database, alice):
    adjust(database, alice.account_id, 500, key="deposit-1")
    again = adjust(database, alice.account_id, 500, key="deposit-1")
    assert again.replayed is True
    assert state(database, alice.account_id) == (10500, 10500)
