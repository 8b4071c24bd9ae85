"""The dashboard's "Coming up": the customer's scheduled transfers over the next 30 days,
each account's projected balance at the end of the month, and the payments that would
overdraw their account (issue 17, item 3).

One statement (the customer's active schedules with their destination and any saved
payee for it), whatever the number of schedules; the walk itself is
`banking.core.projection`, the same date rule as the runner. The result is plain dicts,
cached with the dashboard summary: creating, pausing, resuming, cancelling or running a
schedule changes a `ScheduledTransfer` row, which outdates the owner's cached pages
(`banking.caching`). The summary records the day it was projected on
(`projection_day`), so a summary cached before midnight is not shown after it.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import aliased

from banking.core.models import Account, Payee, ScheduledTransfer, ScheduleStatus, User
from banking.core.projection import WINDOW_DAYS, AccountState, PlannedTransfer, project
from banking.extensions import db

_DESTINATION = aliased(Account)


def upcoming(user_id: int, accounts: list[Account], today: date) -> dict[str, Any]:
    """The projection for the dashboard: `upcoming`, `warnings`, `month_end`,
    `month_end_balances` (account id -> minor units) and `day` (the `today` it is for)."""
    horizon = today + timedelta(days=WINDOW_DAYS)  # also past the month's end
    rows = db.session.execute(
        select(
            ScheduledTransfer.id,
            ScheduledTransfer.from_account_id,
            ScheduledTransfer.to_account_id,
            ScheduledTransfer.amount,
            ScheduledTransfer.memo,
            ScheduledTransfer.frequency,
            ScheduledTransfer.day_of_month,
            ScheduledTransfer.next_run_on,
            ScheduledTransfer.end_on,
            _DESTINATION.owner_id.label("to_owner_id"),
            _DESTINATION.nickname.label("to_nickname"),
            _DESTINATION.kind.label("to_kind"),
            _DESTINATION.number.label("to_number"),
            Payee.nickname.label("payee"),
        )
        .join(_DESTINATION, _DESTINATION.id == ScheduledTransfer.to_account_id)
        .outerjoin(
            Payee,
            and_(Payee.owner_id == user_id, Payee.account_id == ScheduledTransfer.to_account_id),
        )
        # A locked owner's schedules do not run (scheduling.OwnerLocked): none to show.
        .join(User, and_(User.id == ScheduledTransfer.owner_id, User.is_locked.is_(False)))
        .where(
            ScheduledTransfer.owner_id == user_id,
            ScheduledTransfer.status == ScheduleStatus.ACTIVE.value,
            ScheduledTransfer.next_run_on.is_not(None),
            ScheduledTransfer.next_run_on <= horizon,
        )
    ).all()
    states = [
        AccountState(
            id=a.id,
            name=a.display_name,
            currency=a.currency,
            available=a.available_balance,
            overdraft_limit=a.overdraft_limit,
            status=a.status,
        )
        for a in accounts
    ]
    planned = [
        PlannedTransfer(
            id=row.id,
            title=_title(row, user_id),
            from_account_id=row.from_account_id,
            to_account_id=row.to_account_id,
            amount=row.amount,
            frequency=row.frequency,
            next_run_on=row.next_run_on,
            day_of_month=row.day_of_month,
            end_on=row.end_on,
        )
        for row in rows
    ]
    result = project(states, planned, today)
    runs = [{**asdict(run), "overdraws": run.overdraws} for run in result.upcoming]
    return {
        "day": today.isoformat(),
        "upcoming": runs,
        "warnings": [run for run in runs if run["overdraws"]],
        "month_end": result.month_end,
        "month_end_balances": result.month_end_balances,
    }


def _title(row: Any, user_id: int) -> str:
    """What the customer called it (the memo), else whom it pays: their saved payee's
    nickname, "Your Savings", or the masked number (as the Scheduled page shows it)."""
    if row.memo:
        return row.memo
    if row.payee:
        return row.payee
    masked = f"••••{row.to_number[-4:]}"
    if row.to_owner_id == user_id:
        return f"Your {row.to_nickname or row.to_kind.capitalize() + ' ' + masked}"
    return f"Account {masked}"
