"""Upcoming and projected (issue 17, item 3): the walk over the customer's schedules, without
an app or a database (banking/core/projection.py)."""

from __future__ import annotations

from datetime import date

import pytest

from banking.core.projection import AccountState, PlannedTransfer, month_end, project
from banking.core.scheduling import LAST_DAY

TODAY = date(2026, 11, 20)
CHECKING = AccountState(1, "Everyday checking", "USD", available=100_00)
SAVINGS = AccountState(2, "Savings", "USD", available=50_00)
OUTSIDE = 99  # another customer's account


def plan(schedule_id: int = 10, amount: int = 30_00, **fields) -> PlannedTransfer:
    fields.setdefault("title", "Rent")
    fields.setdefault("from_account_id", CHECKING.id)
    fields.setdefault("to_account_id", OUTSIDE)
    fields.setdefault("frequency", "once")
    fields.setdefault("next_run_on", date(2026, 11, 25))
    return PlannedTransfer(id=schedule_id, amount=amount, **fields)


def test_a_payment_within_the_balance_is_upcoming_and_lowers_the_month_end():
    result = project([CHECKING], [plan()], TODAY)

    [run] = result.upcoming
    assert (run.on, run.title, run.amount, run.from_name) == (
        date(2026, 11, 25), "Rent", 30_00, "Everyday checking"
    )
    assert run.balance_after == 70_00 and not run.overdraws
    assert result.warnings == []
    assert result.month_end == date(2026, 11, 30)
    assert result.month_end_balances == {CHECKING.id: 70_00}


def test_a_payment_that_would_overdraw_says_how_far_and_is_refused_without_overdraft():
    result = project([CHECKING], [plan(amount=220_00)], TODAY)

    [warning] = result.warnings
    assert warning.below_zero == 120_00
    assert warning.refused  # no overdraft: the ledger will not send it
    # Refused payments move nothing: the month still ends with what is there now.
    assert result.month_end_balances == {CHECKING.id: 100_00}


def test_within_the_overdraft_limit_it_is_sent_and_the_account_ends_overdrawn():
    account = AccountState(1, "Everyday checking", "USD", available=100_00, overdraft_limit=500_00)
    [warning] = project([account], [plan(amount=220_00)], TODAY).warnings
    assert (warning.below_zero, warning.refused, warning.overdraft_limit) == (120_00, False, 500_00)
    assert project([account], [plan(amount=220_00)], TODAY).month_end_balances[1] == -120_00

    beyond = project([account], [plan(amount=700_00)], TODAY).warnings[0]
    assert beyond.below_zero == 600_00 and beyond.refused


def test_monthly_occurrences_use_the_runners_rule_and_stop_at_the_end_date():
    """Monthly on the last day: Nov 30 and Dec 31 (the window reaches Dec 20 only), and a
    weekly one until Dec 4: Nov 20, 27, Dec 4 and no more."""
    monthly = plan(
        10, 1_00, frequency="monthly", day_of_month=LAST_DAY, next_run_on=date(2026, 11, 30)
    )
    weekly = plan(11, 2_00, frequency="weekly", next_run_on=TODAY, end_on=date(2026, 12, 4))

    result = project([CHECKING], [monthly, weekly], TODAY)

    assert [(r.schedule_id, r.on) for r in result.upcoming] == [
        (11, date(2026, 11, 20)),
        (11, date(2026, 11, 27)),
        (10, date(2026, 11, 30)),
        (11, date(2026, 12, 4)),
    ]
    assert result.window_end == date(2026, 12, 20)
    # Before the month ends: two weekly runs and the monthly one.
    assert result.month_end_balances[CHECKING.id] == 100_00 - 2 * 2_00 - 1_00


def test_the_window_is_today_and_the_next_thirty_days():
    on_the_edge = plan(10, next_run_on=date(2026, 12, 20))
    beyond = plan(11, next_run_on=date(2026, 12, 21))
    result = project([CHECKING], [on_the_edge, beyond], TODAY)
    assert [r.schedule_id for r in result.upcoming] == [10]


def test_a_late_occurrence_runs_today_once_per_missed_date():
    """The runner posts every due occurrence on its next pass, one after the other."""
    weekly = plan(frequency="weekly", next_run_on=date(2026, 11, 10), amount=10_00)
    result = project([CHECKING], [weekly], TODAY)
    assert [r.on for r in result.upcoming][:3] == [TODAY, TODAY, date(2026, 11, 24)]


def test_a_transfer_between_own_accounts_credits_the_other_one():
    to_savings = plan(amount=40_00, to_account_id=SAVINGS.id, title="Monthly savings")
    from_savings = plan(11, 80_00, from_account_id=SAVINGS.id, next_run_on=date(2026, 11, 26))

    result = project([CHECKING, SAVINGS], [to_savings, from_savings], TODAY)

    assert result.month_end_balances == {CHECKING.id: 60_00, SAVINGS.id: 10_00}
    assert result.warnings == []  # without the credit, savings would go $30.00 below zero


def test_payments_run_in_date_order_so_the_later_one_is_flagged():
    first = plan(10, 60_00, next_run_on=date(2026, 11, 22))
    second = plan(11, 60_00, next_run_on=date(2026, 11, 21), title="Phone")
    [warning] = project([CHECKING], [first, second], TODAY).warnings
    assert (warning.schedule_id, warning.below_zero) == (10, 20_00)


def test_a_refused_payment_stops_its_schedule_and_moves_nothing():
    """The runner marks the schedule failed: its next occurrences are not counted."""
    weekly = plan(10, 150_00, frequency="weekly", next_run_on=date(2026, 11, 21))
    small = plan(11, 90_00, next_run_on=date(2026, 11, 22))

    result = project([CHECKING], [weekly, small], TODAY)

    assert [(r.schedule_id, r.refused) for r in result.upcoming] == [(10, True), (11, False)]
    assert result.month_end_balances[CHECKING.id] == 10_00


@pytest.mark.parametrize("status", ["paused", "failed", "cancelled", "completed"])
def test_schedules_that_do_not_run_are_not_counted(status):
    result = project([CHECKING], [plan(status=status)], TODAY)
    assert result.upcoming == [] and result.month_end_balances == {CHECKING.id: 100_00}


def test_a_locked_owners_schedules_do_not_run():
    assert project([CHECKING], [plan()], TODAY, owner_locked=True).upcoming == []


@pytest.mark.parametrize("frozen", ["from", "to"])
def test_a_frozen_account_sends_and_receives_nothing(frozen):
    cold = AccountState(2, "Savings", "USD", available=50_00, status="frozen")
    schedule = (
        plan(from_account_id=cold.id) if frozen == "from" else plan(to_account_id=cold.id)
    )
    result = project([CHECKING, cold], [schedule], TODAY)
    assert result.upcoming == []
    assert result.month_end_balances == {CHECKING.id: 100_00, cold.id: 50_00}


def test_a_schedule_from_an_unknown_account_is_ignored():
    assert project([CHECKING], [plan(from_account_id=OUTSIDE)], TODAY).upcoming == []


def test_the_month_end_balance_leaves_out_next_months_payments():
    next_month = plan(amount=90_00, next_run_on=date(2026, 12, 1))
    result = project([CHECKING], [next_month], TODAY)
    assert [r.on for r in result.upcoming] == [date(2026, 12, 1)]
    assert result.month_end_balances[CHECKING.id] == 100_00


@pytest.mark.parametrize(
    ("day", "last"),
    [(date(2026, 2, 3), 28), (date(2028, 2, 29), 29), (date(2026, 12, 31), 31)],
)
def test_month_end(day, last):
    assert month_end(day) == day.replace(day=last)


def test_on_the_first_of_a_long_month_the_window_still_reaches_its_last_day():
    first = date(2026, 12, 1)
    result = project([CHECKING], [plan(next_run_on=date(2026, 12, 31))], first)
    assert result.window_end == date(2026, 12, 31) == result.month_end
    assert result.month_end_balances[CHECKING.id] == 70_00
