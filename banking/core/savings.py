"""Savings goals and the figures shown beside a savings account: the rule book and the
arithmetic, framework-free and in integer minor units (never float).

A goal is a target amount (and optionally a date) on one of the customer's own active
savings accounts. Progress is the account's balance against the target; with a date, the
monthly amount still needed is the remaining money spread over the months left, rounded
up to the cent so that saving it every month really does reach the target.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from banking.core.errors import DomainError
from banking.core.models import Account, AccountKind, AccountStatus
from banking.core.money import MAX_AMOUNT_MINOR
from banking.core.periods import display_zone

MAX_YEARS_AHEAD = 100  # a target date further away than this is a typo (2202 for 2022)


class GoalRefused(DomainError):
    """A goal the customer cannot set, in words they can act on (`field`: the form field)."""

    code = "goal_refused"


def check_goal(
    account: Account, owner_id: int, target_amount: int, target_date: date | None, today: date
) -> None:
    """Raise `GoalRefused` unless this goal may be set on `account` by `owner_id` today."""
    if account.owner_id != owner_id:
        # The web layer already answers 404 for another customer's account; this keeps
        # the rule true for every caller (CLI, tasks, tests).
        raise GoalRefused("That account is not yours.", code="not_owner")
    if account.kind != AccountKind.SAVINGS.value:
        raise GoalRefused("Goals can be set on savings accounts only.", code="not_savings")
    if account.status != AccountStatus.ACTIVE.value:
        raise GoalRefused(
            "Goals can be set on active accounts only.", code="not_active", field=None
        )
    if target_amount <= 0:
        raise GoalRefused(
            "The target must be more than zero.", code="target_not_positive", field="target"
        )
    if target_amount > MAX_AMOUNT_MINOR:
        raise GoalRefused("That target is too large.", code="target_too_large", field="target")
    if target_date is not None:
        if target_date <= today:
            raise GoalRefused(
                "Choose a target date in the future.", code="date_not_future", field="target_date"
            )
        if target_date.year > today.year + MAX_YEARS_AHEAD:
            raise GoalRefused(
                f"Choose a target date within {MAX_YEARS_AHEAD} years.",
                code="date_too_far",
                field="target_date",
            )


def percent_reached(balance: int, target: int) -> int:
    """Whole percent of `target` that `balance` covers, between 0 and 100 (floor: never
    says 100 % before the target is really reached)."""
    if target <= 0 or balance <= 0:
        return 0
    return min(100, balance * 100 // target)


def months_left(today: date, target_date: date) -> int:
    """Monthly savings still possible before `target_date`: whole months from today,
    at least one (a date later this month still leaves one payment)."""
    months = (target_date.year - today.year) * 12 + (target_date.month - today.month)
    if target_date.day < today.day:
        months -= 1
    return max(1, months)


def monthly_needed(balance: int, target: int, today: date, target_date: date | None) -> int:
    """Minor units to save each month to reach `target` by `target_date`; 0 when there is
    no date, the date has passed, or the target is already reached. Rounded up."""
    remaining = target - max(balance, 0)
    if target_date is None or target_date <= today or remaining <= 0:
        return 0
    return -(-remaining // months_left(today, target_date))


@dataclass(frozen=True)
class GoalProgress:
    target: int
    target_date: date | None
    percent: int
    reached: bool
    monthly: int  # minor units a month still needed (0: no date, reached or date passed)
    overdue: bool  # the date has passed and the target is not reached


def progress(balance: int, target: int, target_date: date | None, today: date) -> GoalProgress:
    """Everything the dashboard says about a goal, from the balance and today's date."""
    reached = balance >= target
    return GoalProgress(
        target=target,
        target_date=target_date,
        percent=percent_reached(balance, target),
        reached=reached,
        monthly=monthly_needed(balance, target, today, target_date),
        overdue=target_date is not None and target_date <= today and not reached,
    )


def year_start(today: date, tz: str | None) -> datetime:
    """The first instant (UTC) of `today`'s year in the display time zone: "interest
    earned this year" counts from the customer's own 1 January."""
    return datetime(today.year, 1, 1, tzinfo=display_zone(tz)).astimezone(UTC)


def rate_percent(rate_bp: int) -> str:
    """150 basis points -> "1.50" (integer arithmetic, as the interest memo writes it)."""
    return f"{rate_bp // 100}.{rate_bp % 100:02d}"
