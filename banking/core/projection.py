"""Upcoming and projected: what the customer's scheduled transfers will do to their accounts.

Pure (no database, no Flask): given the customer's accounts and schedules and today's
date in the display time zone, `project` lists every occurrence in the next `days` days,
each account's projected balance at the end of this month, and the occurrences that
would overdraw their account when they run. Read-only: nothing here moves money.

The rules, and why:
- **The runner's dates.** Occurrences are enumerated with `scheduling.next_run_after`,
  the function the runner advances a schedule with, so the dashboard can never promise a
  date the runner will not keep (one rule for "when does it run next").
- **Only what will run.** Active schedules only (paused, failed, cancelled and completed
  ones do not run), none at all for a locked owner (the runner refuses them), and none
  from or to one of the customer's accounts that is not active (the ledger refuses a
  frozen or closed account; the account card already says why). Pass every account,
  closed ones too, so a schedule into a closed one is known not to run. An end date is
  respected by `next_run_after` itself.
- **Late ones run now.** An occurrence dated before today has not been posted yet (the
  runner posts due ones every minute, one by one, so a schedule behind by two weeks posts
  twice): it is counted, dated today.
- **From the available balance.** The walk starts from what the ledger checks a payment
  against: the available balance (money on hold for a transfer under review is already
  gone from it). Occurrences are applied in date order (then by the date they were due,
  then by schedule id, the order the runner takes them in); a transfer between the
  customer's own accounts credits the receiving one. Another customer's schedule into
  these accounts is not counted: it is theirs to pause or cancel, and not shown here.
- **Below zero.** An occurrence that leaves its account below zero is flagged, with how
  far below ("$120.00 below zero"). Within the account's overdraft limit the ledger
  will still send it (the account is then overdrawn), so it is applied; beyond the limit
  (and with no overdraft, anything below zero is beyond it) the ledger will refuse it:
  it moves nothing, and the runner marks the schedule failed, so its later occurrences
  are not counted either (the customer resumes it on the Scheduled page).
- Integers only (minor units); one currency per account, as the ledger guarantees for
  both sides of a transfer.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from banking.core.models import AccountStatus, ScheduleStatus
from banking.core.scheduling import next_run_after

WINDOW_DAYS = 30


@dataclass(frozen=True)
class AccountState:
    """An account as the projection needs it (no ORM object: the caller copies it)."""

    id: int
    name: str
    currency: str
    available: int
    overdraft_limit: int = 0
    status: str = AccountStatus.ACTIVE.value


@dataclass(frozen=True)
class PlannedTransfer:
    """A schedule as the projection needs it; a `scheduling.Recurrence` for the dates."""

    id: int
    title: str  # what the customer calls it: its memo, the payee's nickname, the account
    from_account_id: int
    to_account_id: int
    amount: int
    frequency: str
    next_run_on: date | None
    day_of_month: int | None = None
    end_on: date | None = None
    status: str = ScheduleStatus.ACTIVE.value


@dataclass(frozen=True)
class Occurrence:
    """One run of a schedule and what it does to its account.

    `below_zero` is how far under zero it leaves the sending account (0 when it does not);
    `refused` says it goes beyond the overdraft limit, so the ledger will not send it.
    """

    schedule_id: int
    on: date
    title: str
    amount: int
    currency: str
    from_account_id: int
    from_name: str
    to_account_id: int
    balance_after: int
    below_zero: int
    overdraft_limit: int
    refused: bool

    @property
    def overdraws(self) -> bool:
        return self.below_zero > 0


@dataclass(frozen=True)
class Projection:
    today: date
    window_end: date  # the last day listed as upcoming (inclusive)
    month_end: date
    upcoming: list[Occurrence]  # within the window, in the order they will run
    month_end_balances: dict[int, int]  # account id -> projected available balance

    @property
    def warnings(self) -> list[Occurrence]:
        return [o for o in self.upcoming if o.overdraws]


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def project(
    accounts: Iterable[AccountState],
    schedules: Iterable[PlannedTransfer],
    today: date,
    *,
    days: int = WINDOW_DAYS,
    owner_locked: bool = False,
) -> Projection:
    """The next `days` days (today included, then `days` more) of the customer's
    scheduled transfers, walked in order against their available balances."""
    by_id = {a.id: a for a in accounts}
    window_end = today + timedelta(days=days)
    last_of_month = month_end(today)
    horizon = max(window_end, last_of_month)
    balances = {a.id: a.available for a in by_id.values()}
    planned = [] if owner_locked else [s for s in schedules if _runs(s, by_id)]
    runs = sorted(
        ((max(due, today), due, s.id, s) for s in planned for due in _dates(s, horizon)),
        key=lambda run: run[:3],
    )
    stopped: set[int] = set()
    month_end_balances = dict(balances)
    upcoming: list[Occurrence] = []
    for on, _due, schedule_id, schedule in runs:
        if schedule_id in stopped:
            continue
        source = by_id[schedule.from_account_id]
        after = balances[source.id] - schedule.amount
        refused = after < -source.overdraft_limit
        if refused:
            stopped.add(schedule_id)  # the runner marks it failed: nothing more runs
        else:
            balances[source.id] = after
            if schedule.to_account_id in balances:
                balances[schedule.to_account_id] += schedule.amount
        if on <= last_of_month:
            month_end_balances = dict(balances)
        if on <= window_end:
            upcoming.append(
                Occurrence(
                    schedule_id=schedule_id,
                    on=on,
                    title=schedule.title,
                    amount=schedule.amount,
                    currency=source.currency,
                    from_account_id=source.id,
                    from_name=source.name,
                    to_account_id=schedule.to_account_id,
                    balance_after=after,
                    below_zero=max(-after, 0),
                    overdraft_limit=source.overdraft_limit,
                    refused=refused,
                )
            )
    return Projection(today, window_end, last_of_month, upcoming, month_end_balances)


def _runs(schedule: PlannedTransfer, accounts: dict[int, AccountState]) -> bool:
    source = accounts.get(schedule.from_account_id)
    own_destination = accounts.get(schedule.to_account_id)
    return (
        schedule.status == ScheduleStatus.ACTIVE.value
        and schedule.next_run_on is not None
        and source is not None
        and source.status == AccountStatus.ACTIVE.value
        and (own_destination is None or own_destination.status == AccountStatus.ACTIVE.value)
    )


def _dates(schedule: PlannedTransfer, horizon: date) -> Iterator[date]:
    """The schedule's occurrences up to `horizon`, by the runner's own rule."""
    current = schedule.next_run_on
    while current is not None and current <= horizon:
        yield current
        current = next_run_after(schedule, current)
