"""Scheduled transfers: when each one runs next, and running the ones that are due.

Dates follow these rules (shown to the customer on the form):
- once: on the chosen date.
- weekly: the chosen date, then every 7 days.
- monthly: on a day of the month 1-28, or the *last day* of every month (stored as
  `LAST_DAY` = 31, which clamps to 28/29/30 in shorter months). Days 29-30 are not
  offered, so "monthly on the 30th" never silently means the 28th in February.
- an optional end date: no occurrence after it; the schedule is then completed.

`run_due` executes every due occurrence through `banking.core.ledger.post_transfer` with the
idempotency key `schedule:{id}:{occurrence date}`; the schedule row is locked (FOR UPDATE
SKIP LOCKED on PostgreSQL, SQLite's BEGIN IMMEDIATE lock elsewhere) and advanced in the
same database transaction as the posting, so two runners, or one run twice, post each
occurrence exactly once. A refused occurrence marks the schedule failed with the reason;
it is never retried by itself. A locked owner's schedules, and a frozen or closed
account's, are refused that way too: the owner sees why on their Scheduled page.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, lazyload

from banking.core import audit, ledger, notifications
from banking.core.clock import SYSTEM_CLOCK, Clock
from banking.core.models import (
    Account,
    Frequency,
    JournalTransaction,
    ScheduledTransfer,
    ScheduleStatus,
    TransactionStatus,
    User,
)
from banking.core.money import InvalidAmount

log = logging.getLogger(__name__)

LAST_DAY = 31
MONTH_DAYS = tuple(range(1, 29))
GENERIC_FAILURE = "This transfer could not be made. Nothing was moved."


class OwnerLocked(ledger.LedgerError):
    """The schedule's owner is locked: none of their scheduled transfers run."""

    message = "Your sign-in is locked, so scheduled transfers are not made. Contact us."


class _ScheduleChanged(Exception):
    """The schedule was paused, cancelled or advanced while its occurrence was being posted."""


# Dates --------------------------------------------------------------------------------
class Recurrence(Protocol):
    """What the date rules read from a schedule: a `ScheduledTransfer`, or the plain copy
    the dashboard's projection (`banking.core.projection`) walks with the same rules."""

    @property
    def frequency(self) -> str: ...

    @property
    def day_of_month(self) -> int | None: ...

    @property
    def end_on(self) -> date | None: ...


def monthly_date(year: int, month: int, day_of_month: int) -> date:
    """The run date in a month: the day itself, or the month's last day if it is shorter."""
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day_of_month, last))


def _add_months(day: date, months: int) -> tuple[int, int]:
    index = day.year * 12 + (day.month - 1) + months
    return index // 12, index % 12 + 1


def first_run(frequency: str, start: date, day_of_month: int | None = None) -> date:
    """The first occurrence on or after `start`."""
    if frequency != Frequency.MONTHLY.value:
        return start
    dom = day_of_month or start.day
    candidate = monthly_date(start.year, start.month, dom)
    if candidate < start:
        year, month = _add_months(start, 1)
        candidate = monthly_date(year, month, dom)
    return candidate


def following_run(frequency: str, after: date, day_of_month: int | None = None) -> date | None:
    """The occurrence after `after`, ignoring any end date (None for a one-off)."""
    if frequency == Frequency.WEEKLY.value:
        return after + timedelta(days=7)
    if frequency == Frequency.MONTHLY.value:
        year, month = _add_months(after, 1)
        return monthly_date(year, month, day_of_month or after.day)
    return None


def next_run_after(schedule: Recurrence, occurrence: date) -> date | None:
    """The schedule's next occurrence after `occurrence`, or None when it has finished."""
    following = following_run(schedule.frequency, occurrence, schedule.day_of_month)
    if following is None or (schedule.end_on is not None and following > schedule.end_on):
        return None
    return following


def first_run_on_or_after(schedule: ScheduledTransfer, today: date) -> date | None:
    """Where a resumed schedule picks up: occurrences missed while paused are skipped."""
    current = schedule.next_run_on
    if current is None:
        return None
    if schedule.frequency == Frequency.ONCE.value:
        return max(current, today)
    while current is not None and current < today:
        current = next_run_after(schedule, current)
    return current


def describe(schedule: ScheduledTransfer) -> str:
    """ "Every month on the last day", for the schedule list."""
    if schedule.frequency == Frequency.WEEKLY.value:
        return "Every week"
    if schedule.frequency == Frequency.MONTHLY.value:
        if schedule.day_of_month == LAST_DAY:
            return "Every month on the last day"
        return f"Every month on day {schedule.day_of_month}"
    return "Once"


# Running ------------------------------------------------------------------------------
@dataclass
class RunReport:
    posted: list[tuple[int, date]] = field(default_factory=list)
    failed: list[tuple[int, date, str]] = field(default_factory=list)
    deferred: list[tuple[int, date]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.posted)} posted, {len(self.failed)} failed, "
            f"{len(self.deferred)} deferred to the next run"
        )


def occurrence_key(schedule_id: int, occurrence: date) -> str:
    return f"schedule:{schedule_id}:{occurrence.isoformat()}"


def run_due(
    session: Session,
    today: date,
    *,
    limits: ledger.Limits | None = None,
    max_retries: int = 8,
    clock: Clock = SYSTEM_CLOCK,
) -> RunReport:
    """Post every occurrence due on or before `today`; safe to run twice or on two hosts.

    `clock` stamps the postings and the schedules' `last_run_at` (`today` is separate: it
    is a date in the bank's display timezone, chosen by the caller).
    """
    report = RunReport()
    skip: set[int] = set()  # schedules deferred in this run (the bank was busy)
    while True:
        schedule = _lock_next_due(session, today, skip)
        if schedule is None:
            session.rollback()
            return report
        occurrence = schedule.next_run_on
        try:
            _post_occurrence(session, schedule, occurrence, clock, limits, max_retries)
        except _ScheduleChanged:
            session.rollback()
            continue
        except (ledger.RetriesExhausted, OperationalError):
            session.rollback()
            skip.add(schedule.id)
            report.deferred.append((schedule.id, occurrence))
            log.warning("scheduled transfer deferred", extra={"schedule_id": schedule.id})
            continue
        except (ledger.LedgerError, InvalidAmount) as exc:
            message = exc.message
        except Exception as exc:  # noqa: BLE001 - one bad schedule must not stop the others
            log.error(
                "scheduled transfer error",
                extra={"schedule_id": schedule.id, "error_type": type(exc).__name__},
            )
            message = GENERIC_FAILURE
        else:
            report.posted.append((schedule.id, occurrence))
            continue
        session.rollback()
        if _record_failure(session, schedule.id, occurrence, message, clock):
            report.failed.append((schedule.id, occurrence, message))


def _lock_next_due(session: Session, today: date, skip: set[int]) -> ScheduledTransfer | None:
    stmt = (
        select(ScheduledTransfer)
        .options(lazyload("*"))
        .where(
            ScheduledTransfer.status == ScheduleStatus.ACTIVE.value,
            ScheduledTransfer.next_run_on.is_not(None),
            ScheduledTransfer.next_run_on <= today,
        )
        .order_by(ScheduledTransfer.next_run_on, ScheduledTransfer.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=ScheduledTransfer)
        .execution_options(populate_existing=True)
    )
    if skip:
        stmt = stmt.where(ScheduledTransfer.id.not_in(skip))
    return session.scalar(stmt)


def _post_occurrence(
    session: Session,
    schedule: ScheduledTransfer,
    occurrence: date,
    clock: Clock,
    limits: ledger.Limits | None,
    max_retries: int,
) -> None:
    """Post one occurrence; the schedule advances inside the same database transaction."""
    schedule_id = schedule.id
    owner_id = schedule.owner_id
    if session.scalar(select(User.is_locked).where(User.id == owner_id)):
        # A locked customer cannot sign in, so standing instructions must not keep moving
        # their money either (a frozen account is refused by the ledger's own rules).
        raise OwnerLocked()

    def on_posted(hook_session: Session, txn: JournalTransaction) -> None:
        # A ledger retry gives up the row lock taken by _lock_next_due: take it again and
        # make sure nobody paused, cancelled or ran this occurrence in the meantime.
        locked = _lock_schedule(hook_session, schedule_id)
        if (
            locked is None
            or locked.status != ScheduleStatus.ACTIVE.value
            or locked.next_run_on != occurrence
        ):
            raise _ScheduleChanged()
        _advance(locked, occurrence, clock)
        audit.record(
            hook_session,
            "schedule.executed",
            actor_id=owner_id,
            target_type="scheduled_transfer",
            target_id=schedule_id,
            success=True,
            details={
                "occurrence": occurrence.isoformat(),
                "transaction_id": txn.id,
                "status": txn.status,
                "amount": txn.amount,
            },
        )
        # Money that reached another customer: they hear of it with the posting.
        if txn.status == TransactionStatus.POSTED.value:
            hook_session.add_all(notifications.about_incoming(hook_session, txn))

    result = ledger.post_transfer(
        session,
        source_id=schedule.from_account_id,
        destination_id=schedule.to_account_id,
        amount=schedule.amount,
        initiator_id=owner_id,
        key=occurrence_key(schedule_id, occurrence),
        memo=schedule.memo,
        owner_id=owner_id,
        limits=limits,
        on_posted=on_posted,
        max_retries=max_retries,
        clock=clock,
    )
    if result.replayed:
        # Posted by an earlier run whose schedule update was lost: catch the schedule up.
        locked = _lock_schedule(session, schedule_id)
        if locked is not None and locked.next_run_on == occurrence:
            _advance(locked, occurrence, clock)
        session.commit()


def _lock_schedule(session: Session, schedule_id: int) -> ScheduledTransfer | None:
    return session.scalar(
        select(ScheduledTransfer)
        .options(lazyload("*"))
        .where(ScheduledTransfer.id == schedule_id)
        .with_for_update(of=ScheduledTransfer)
        .execution_options(populate_existing=True)
    )


def _advance(schedule: ScheduledTransfer, occurrence: date, clock: Clock) -> None:
    schedule.runs += 1
    schedule.last_run_at = clock.now()
    schedule.last_error = None
    schedule.next_run_on = next_run_after(schedule, occurrence)
    if schedule.next_run_on is None:
        schedule.status = ScheduleStatus.COMPLETED.value


def _record_failure(
    session: Session, schedule_id: int, occurrence: date, message: str, clock: Clock
) -> bool:
    """Mark the schedule failed, unless another runner has meanwhile posted this occurrence."""
    try:
        schedule = _lock_schedule(session, schedule_id)
        if (
            schedule is None
            or schedule.status != ScheduleStatus.ACTIVE.value
            or schedule.next_run_on != occurrence
        ):
            session.rollback()
            return False
        schedule.status = ScheduleStatus.FAILED.value
        schedule.last_error = message[:200]
        schedule.last_run_at = clock.now()
        source = session.get(Account, schedule.from_account_id)
        session.add(
            notifications.schedule_failed(
                schedule.owner_id,
                amount=schedule.amount,
                currency=source.currency if source is not None else "USD",
                reason=message[:200],
                now=schedule.last_run_at,
            )
        )
        audit.record(
            session,
            "schedule.failed",
            actor_id=schedule.owner_id,
            target_type="scheduled_transfer",
            target_id=schedule_id,
            success=False,
            details={"occurrence": occurrence.isoformat(), "reason": message[:200]},
        )
        session.commit()
        return True
    except BaseException:
        session.rollback()
        raise
