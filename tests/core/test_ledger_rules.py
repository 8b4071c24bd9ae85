"""The rule book on its own: plain Account objects in, a Decision out, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from banking.core import ledger
from banking.core.clock import FixedClock, SystemClock
from banking.core.ledger import rules
from banking.core.models import Account
from banking.core.money import InvalidAmount


def account(account_id: int, *, owner_id: int | None = 1, **fields) -> Account:
    values = {
        "currency": "USD",
        "status": "active",
        "balance": 10_000,
        "available_balance": 10_000,
        "overdraft_limit": 0,
        "kind": "checking",
        "system_code": None,
        **fields,
    }
    return Account(id=account_id, owner_id=owner_id, **values)


def check(source, destination, amount=1_000, **options) -> ledger.Decision:
    return ledger.check_movement(source, destination, amount, **options)


def test_an_ordinary_transfer_is_allowed_and_not_held():
    decision = check(account(1), account(2, owner_id=2), limits=ledger.Limits())
    assert decision.allowed and not decision.held
    assert decision.raise_if_refused() is decision


@pytest.mark.parametrize(
    ("threshold", "held"), [(None, False), (999, True), (1_000, False), (5_000, False)]
)
def test_held_above_the_review_threshold_only(threshold, held):
    limits = ledger.Limits(review_threshold=threshold)
    assert check(account(1), account(2), limits=limits).held is held


def test_admin_movements_are_never_held_nor_limited():
    limits = ledger.Limits(per_transfer=10, daily=10, review_threshold=10)
    decision = check(account(1), account(2), limits=limits, admin=True, spent_24h=lambda: 10**9)
    assert decision.allowed and not decision.held


@pytest.mark.parametrize(
    ("source", "destination", "options", "error", "field", "message"),
    [
        (None, account(2), {}, ledger.AccountNotFound, "from_account", None),
        (account(1), None, {}, ledger.AccountNotFound, "to_account", None),
        (account(1), account(2), {"owner_id": 9}, ledger.AccountNotFound, "from_account", None),
        (account(1), account(2, system_code="suspense", kind="system"), {},
         ledger.AccountNotFound, "to_account", None),
        (account(1), account(1), {}, ledger.SameAccount, "to_account", None),
        (account(1), account(2, currency="EUR"), {}, ledger.CurrencyMismatch, "to_account", None),
        (account(1, status="closed"), account(2), {}, ledger.AccountClosed, "from_account",
         "The sending account is closed."),
        (account(1), account(2, status="closed"), {}, ledger.AccountClosed, "to_account",
         "The receiving account is closed."),
        (account(1, status="frozen"), account(2), {}, ledger.AccountFrozen, "from_account",
         "The sending account is frozen and cannot send money."),
        (account(1), account(2, status="frozen"), {}, ledger.AccountFrozen, "to_account",
         "The receiving account is frozen and cannot receive money."),
        (account(1, available_balance=999), account(2), {}, ledger.InsufficientFunds, "amount",
         None),
        (account(1), account(2), {"limits": ledger.Limits(per_transfer=999)},
         ledger.LimitExceeded, "amount", "That amount is over your per-transfer limit of $9.99."),
        (account(1), account(2), {"limits": ledger.Limits(daily=1_500), "spent_24h": lambda: 600},
         ledger.LimitExceeded, "amount",
         "That transfer would take you over your 24-hour limit of $15.00."),
    ],
)  # fmt: skip
def test_each_refusal_has_its_class_words_and_field(
    source, destination, options, error, field, message
):
    decision = check(source, destination, **options)
    assert not decision.allowed
    assert type(decision.refusal) is error
    assert decision.refusal.field == field
    assert decision.refusal.message == (message or error.message)
    with pytest.raises(error):
        decision.raise_if_refused()


def test_admins_may_move_money_of_frozen_accounts_but_not_closed_ones():
    assert check(account(1, status="frozen"), account(2), admin=True).allowed
    assert type(check(account(1, status="closed"), account(2), admin=True).refusal) is (
        ledger.AccountClosed
    )


def test_an_overdraft_limit_lets_the_balance_go_that_far_below_zero():
    assert check(account(1, available_balance=0, overdraft_limit=1_000), account(2)).allowed
    assert not check(account(1, available_balance=0, overdraft_limit=999), account(2)).allowed


def test_standing_rules_skip_the_days_spend_and_the_funds_but_not_the_rest():
    """What a new schedule is checked against: each run checks funds and the daily limit."""
    limits = ledger.Limits(per_transfer=5_000, daily=100)
    poor = account(1, available_balance=0)
    assert check(poor, account(2), limits=limits, spent_24h=lambda: 99, standing_only=True).allowed
    too_much = check(poor, account(2), 5_001, limits=limits, standing_only=True)
    assert type(too_much.refusal) is ledger.LimitExceeded
    frozen = check(poor, account(2, status="frozen"), standing_only=True)
    assert type(frozen.refusal) is ledger.AccountFrozen


def test_the_days_spend_is_asked_only_when_a_daily_limit_applies():
    def boom() -> int:
        raise AssertionError("no daily limit: the spend must not be queried")

    assert check(account(1), account(2), limits=ledger.Limits(), spent_24h=boom).allowed


@pytest.mark.parametrize("amount", [0, -1, 10**15, 1.5, True])
def test_amounts_that_are_not_positive_whole_minor_units_are_refused(amount):
    with pytest.raises(InvalidAmount):
        rules.check_amount(amount)


def test_capturing_a_hold_is_refused_once_either_side_is_no_longer_active():
    rules.check_capturable(account(1), account(2))
    with pytest.raises(ledger.AccountFrozen, match="sending account is frozen"):
        rules.check_capturable(account(1, status="frozen"), account(2))
    with pytest.raises(ledger.AccountClosed, match="receiving account is closed"):
        rules.check_capturable(account(1), account(2, status="closed"))


# Clocks ------------------------------------------------------------------------------------
def test_a_fixed_clock_tells_its_moment_until_advanced():
    moment = datetime(2026, 3, 10, 12, tzinfo=UTC)
    clock = FixedClock(moment)
    assert clock.now() == moment
    clock.advance(timedelta(days=1))
    assert clock.now() == moment + timedelta(days=1)


def test_a_fixed_clock_refuses_a_naive_moment():
    with pytest.raises(ValueError, match="time zone"):
        FixedClock(datetime(2026, 3, 10, 12))


def test_the_system_clock_is_aware_utc():
    assert SystemClock().now().utcoffset() == timedelta(0)


# Retry listeners ---------------------------------------------------------------------------
def test_retry_listeners_hear_each_retry_until_they_unsubscribe():
    from banking.core.ledger import retries

    heard: list[ledger.RetryEvent] = []
    unsubscribe = ledger.on_retry(heard.append)
    with ledger.counting_retries() as counter:
        retries._announce(ledger.RetryEvent(attempt=1, reason="deadlock"))
    unsubscribe()
    retries._announce(ledger.RetryEvent(attempt=2, reason="deadlock"))

    assert heard == [ledger.RetryEvent(attempt=1, reason="deadlock")]
    assert counter.retries == 1 and counter.by_reason == {"deadlock": 1}


def test_a_broken_retry_listener_is_logged_and_ignored(caplog):
    from banking.core.ledger import retries

    def broken(event: ledger.RetryEvent) -> None:
        raise RuntimeError("metrics backend down")

    unsubscribe = ledger.on_retry(broken)
    try:
        with ledger.counting_retries() as counter:
            retries._announce(ledger.RetryEvent(attempt=1, reason="serialization_failure"))
    finally:
        unsubscribe()
    assert counter.retries == 1  # listeners after the broken one still hear it
    assert "ledger retry listener failed" in caplog.text
