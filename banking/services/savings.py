"""Savings accounts: their goals (set, change, remove) and the figures shown beside them
(the interest rate and the interest earned this year).

Each change owns its unit of work: the core's rule book (`banking.core.savings`) decides,
the goal and its audit row are committed together, and a refusal rolls everything back
and raises `GoalRefused`. The commit drops the owner's cached dashboard through
`banking.caching` (savings goals are among the models it watches). Views never commit.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from banking.core import savings as rules
from banking.core.models import (
    Account,
    AccountKind,
    Entry,
    JournalTransaction,
    SavingsGoal,
    TransactionKind,
)
from banking.core.periods import local_today
from banking.core.savings import GoalRefused
from banking.extensions import db
from banking.services import audit

__all__ = [
    "GoalRefused",
    "annual_rate_bp",
    "goal_for",
    "interest_this_year",
    "remove_goal",
    "savings_rows",
    "set_goal",
    "today",
]


def today() -> date:
    """Today in the configured display time zone (goals and "this year" count from it)."""
    return local_today(current_app.config.get("DISPLAY_TIMEZONE", "UTC"))


def annual_rate_bp() -> int:
    """The savings rate the monthly interest run pays (config SAVINGS_ANNUAL_RATE_BP)."""
    return int(current_app.config["SAVINGS_ANNUAL_RATE_BP"])


def goal_for(account_id: int) -> SavingsGoal | None:
    return db.session.scalar(select(SavingsGoal).where(SavingsGoal.account_id == account_id))


def set_goal(
    account: Account, owner_id: int, *, target_amount: int, target_date: date | None
) -> SavingsGoal:
    """Set (or change) the goal of `account`; audited and committed, or refused."""
    session = db.session
    try:
        rules.check_goal(account, owner_id, target_amount, target_date, today())
        goal = goal_for(account.id)
        action = "savings_goal.changed" if goal else "savings_goal.set"
        if goal is None:
            goal = SavingsGoal(account_id=account.id, owner_id=owner_id, target_amount=0)
            session.add(goal)
        goal.target_amount = target_amount
        goal.target_date = target_date
        audit.record_and_commit(
            session,
            action,
            owner_id,
            "account",
            account.id,
            details={
                "target_amount": target_amount,
                "target_date": target_date.isoformat() if target_date else None,
            },
        )
    except GoalRefused:
        session.rollback()
        raise
    return goal


def remove_goal(account: Account, owner_id: int) -> bool:
    """Remove the account's goal; False when it had none (nothing changes, nothing audited)."""
    session = db.session
    goal = goal_for(account.id)
    if goal is None or goal.owner_id != owner_id:
        return False
    session.delete(goal)
    audit.record_and_commit(session, "savings_goal.removed", owner_id, "account", account.id)
    return True


def _interest_since(start) -> Any:
    """SUM of the interest entries into the (correlated) account since `start`: read from
    the (account_id, created_at, id) index, joined to each entry's transaction by key."""
    return (
        select(func.coalesce(func.sum(Entry.amount), 0))
        .join(JournalTransaction, JournalTransaction.id == Entry.transaction_id)
        .where(
            Entry.account_id == Account.id,
            Entry.created_at >= start,
            JournalTransaction.kind == TransactionKind.INTEREST.value,
        )
        .correlate(Account)
        .scalar_subquery()
    )


def interest_this_year(account_id: int) -> int:
    """Interest paid into the account since 1 January (display time zone), minor units."""
    start = rules.year_start(today(), current_app.config.get("DISPLAY_TIMEZONE"))
    return int(
        db.session.scalar(select(_interest_since(start)).where(Account.id == account_id)) or 0
    )


def savings_rows(accounts: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """For the dashboard's savings account rows (dicts with id and balance): the rate, the
    interest earned this year and the goal's progress, in ONE query (none without savings).

    Plain dicts, so the dashboard can cache them with the rest of its summary.
    """
    savings = {a["id"]: a for a in accounts if a["kind"] == AccountKind.SAVINGS.value}
    if not savings:
        return {}
    day = today()
    start = rules.year_start(day, current_app.config.get("DISPLAY_TIMEZONE"))
    rows = db.session.execute(
        select(
            Account.id,
            SavingsGoal.target_amount,
            SavingsGoal.target_date,
            _interest_since(start).label("interest"),
        )
        .outerjoin(SavingsGoal, SavingsGoal.account_id == Account.id)
        .where(Account.id.in_(list(savings)))
    ).all()
    rate = annual_rate_bp()
    result: dict[int, dict[str, Any]] = {}
    for account_id, target, target_date, interest in rows:
        goal = None
        if target is not None:
            p = rules.progress(savings[account_id]["balance"], target, target_date, day)
            goal = {
                "target": p.target,
                "target_date": p.target_date,
                "percent": p.percent,
                "reached": p.reached,
                "monthly": p.monthly,
                "overdue": p.overdue,
            }
        result[account_id] = {
            "rate": rules.rate_percent(rate),
            "interest_this_year": int(interest or 0),
            "year": day.year,
            "goal": goal,
        }
    return result
