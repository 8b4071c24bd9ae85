"""Savings goals' rules and arithmetic (banking/core/savings.py): no Flask, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from banking.core.models import Account
from banking.core.money import MAX_AMOUNT_MINOR
from banking.core.savings import (
    GoalRefused,
    check_goal,
    monthly_needed,
    months_left,
    percent_reached,
    progress,
    rate_percent,
    year_start,
)

TODAY = date(2026, 12, 1)


def account(kind: str = "savings", owner_id: int = 7, status: str = "active") -> Account:
    return Account(id=1, owner_id=owner_id, kind=kind, status=status, balance=0)


def refusal(**overrides) -> GoalRefused:
    args = {"account": account(), "owner_id": 7, "target_amount": 500_000, "target_date": None}
    args.update(overrides)
    with pytest.raises(GoalRefused) as caught:
        check_goal(
            args["account"], args["owner_id"], args["target_amount"], args["target_date"], TODAY
        )
    return caught.value


def test_a_goal_on_ones_own_active_savings_account_is_allowed():
    check_goal(account(), 7, 500_000, date(2027, 6, 1), TODAY)
    check_goal(account(), 7, 1, None, TODAY)


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"owner_id": 8}, "not_owner", None),
        ({"account": account(kind="checking")}, "not_savings", None),
        ({"account": account(status="frozen")}, "not_active", None),
        ({"account": account(status="closed")}, "not_active", None),
        ({"target_amount": 0}, "target_not_positive", "target"),
        ({"target_amount": -100}, "target_not_positive", "target"),
        ({"target_amount": MAX_AMOUNT_MINOR + 1}, "target_too_large", "target"),
        ({"target_date": TODAY}, "date_not_future", "target_date"),
        ({"target_date": date(2026, 11, 30)}, "date_not_future", "target_date"),
        ({"target_date": date(2127, 1, 1)}, "date_too_far", "target_date"),
    ],
)
def test_goals_the_rules_refuse(overrides, code, field):
    error = refusal(**overrides)
    assert (error.code, error.field) == (code, field)
    assert error.message


@pytest.mark.parametrize(
    ("balance", "target", "percent"),
    [
        (120_000, 500_000, 24),
        (0, 500_000, 0),
        (-5_000, 500_000, 0),
        (499_999, 500_000, 99),
        (500_000, 500_000, 100),
        (900_000, 500_000, 100),
    ],
)
def test_percent_is_floored_and_capped(balance, target, percent):
    assert percent_reached(balance, target) == percent


@pytest.mark.parametrize(
    ("target_date", "months"),
    [(date(2027, 6, 1), 6), (date(2027, 5, 31), 5), (date(2026, 12, 20), 1), (date(2027, 1, 1), 1)],
)
def test_months_left_counts_whole_months_and_at_least_one(target_date, months):
    assert months_left(TODAY, target_date) == months


def test_monthly_amount_is_the_remainder_over_the_months_rounded_up_to_the_cent():
    # $3,800.00 left over 6 months = $633.333... -> $633.34: saving it does reach the target.
    needed = monthly_needed(120_000, 500_000, TODAY, date(2027, 6, 1))
    assert needed == 63_334
    assert isinstance(needed, int)
    assert needed * 6 >= 380_000 > (needed - 1) * 6


def test_no_monthly_amount_without_a_date_when_reached_or_when_the_date_has_passed():
    assert monthly_needed(120_000, 500_000, TODAY, None) == 0
    assert monthly_needed(500_000, 500_000, TODAY, date(2027, 6, 1)) == 0
    assert monthly_needed(120_000, 500_000, TODAY, date(2026, 6, 1)) == 0


def test_progress_says_reached_or_overdue():
    assert progress(500_000, 500_000, None, TODAY).reached
    late = progress(100, 500_000, date(2026, 6, 1), TODAY)
    assert (late.overdue, late.reached, late.monthly) == (True, False, 0)
    on_time = progress(120_000, 500_000, date(2027, 6, 1), TODAY)
    assert (on_time.percent, on_time.monthly, on_time.overdue) == (24, 63_334, False)


def test_the_year_starts_at_midnight_on_1_january_in_the_display_zone():
    assert year_start(TODAY, "America/New_York") == datetime(2026, 1, 1, 5, 0, tzinfo=UTC)
    assert year_start(TODAY, "UTC") == datetime(2026, 1, 1, tzinfo=UTC)


def test_rate_is_written_from_basis_points_without_float():
    assert (rate_percent(150), rate_percent(5), rate_percent(1_000)) == ("1.50", "0.05", "10.00")
