"""Creating a scheduled transfer: the customer's standing instruction, checked by the ledger's
rule book before it is saved.

A new schedule is refused for the same reasons, in the same words, as the transfer it
will post (a closed or frozen account, two currencies, over the per-transfer limit):
one situation, one message, whichever page meets it. What depends on the day the money
moves (the 24-hour spend, the available funds) is checked by each run instead, which
records any refusal on the schedule (`banking.core.scheduling.run_due`).

The view parses the form into a `ScheduleRequest`, calls `create_schedule` once and
renders; every refusal is a `DomainError` whose `field` names the form field at fault.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from banking.core import ledger
from banking.core.errors import DomainError
from banking.core.ledger.rules import DESTINATION_FIELD
from banking.core.models import Account, ScheduledTransfer, ScheduleStatus
from banking.core.scheduling import first_run, first_run_on_or_after
from banking.extensions import db
from banking.services import audit, customer_queries
from banking.services.transfers import find_destination, limits_from_config

CHOOSE_OWN = "Choose one of your accounts."


class ScheduleRefused(DomainError):
    """A schedule refused for a reason of its own (not a rule of the transfer it posts)."""

    code = "schedule_refused"


@dataclass(frozen=True)
class ScheduleRequest:
    """What the customer asked for, already parsed (amount in minor units, real dates)."""

    from_account_id: int | None
    to_account_id: int | None  # one of the customer's accounts, or else
    account_number: str  # another customer's account number, as typed
    amount: int
    memo: str
    frequency: str
    start_on: date
    day_of_month: int | None
    end_on: date | None


def create_schedule(user_id: int, request: ScheduleRequest) -> ScheduledTransfer:
    """Save the schedule (and its audit row) and commit, or raise the reason it can't be."""
    source = _own_account(user_id, request.from_account_id)
    if source is None:
        raise ScheduleRefused(CHOOSE_OWN, field="from_account")
    typed = request.to_account_id is None
    if typed:
        destination = find_destination(request.account_number)  # field: account_number
    else:
        destination = _own_account(user_id, request.to_account_id)
        if destination is None:
            raise ScheduleRefused(CHOOSE_OWN, field="to_account")
    decision = ledger.check_movement(
        source,
        destination,
        request.amount,
        owner_id=user_id,
        limits=limits_from_config(),
        standing_only=True,
    )
    if decision.refusal is not None:
        refusal = decision.refusal
        if typed and refusal.field == DESTINATION_FIELD:
            refusal.field = "account_number"  # the receiving side is the number typed
        raise refusal
    start = first_run(request.frequency, request.start_on, request.day_of_month)
    if request.end_on and start > request.end_on:
        raise ScheduleRefused("No payment would fall before this end date.", field="end_on")
    schedule = ScheduledTransfer(
        owner_id=user_id,
        from_account_id=source.id,
        to_account_id=destination.id,
        amount=request.amount,
        memo=request.memo.strip(),
        frequency=request.frequency,
        day_of_month=request.day_of_month,
        next_run_on=start,
        end_on=request.end_on,
        status=ScheduleStatus.ACTIVE.value,
    )
    db.session.add(schedule)
    db.session.flush()
    details = {
        "frequency": request.frequency,
        "amount": schedule.amount,
        "first_run_on": start.isoformat(),
    }
    audit.record_and_commit(
        db.session, "schedule.created", user_id, "scheduled_transfer", schedule.id, details
    )
    return schedule


def _own_account(user_id: int, account_id: int | None) -> Account | None:
    if account_id is None:
        return None
    return db.session.scalar(
        select(Account).where(Account.id == account_id, Account.owner_id == user_id)
    )


# Status changes ---------------------------------------------------------------------
# Each locks the schedule row (so it waits for a runner posting it right now), checks the
# status still allows the change, applies it, audits it and commits; or rolls back and
# refuses. Another customer's schedule is `customer_queries.NotFound` (a 404 on the web).
NO_LONGER = "That scheduled transfer can no longer be changed that way."
OPEN_STATUSES = (
    ScheduleStatus.ACTIVE.value,
    ScheduleStatus.PAUSED.value,
    ScheduleStatus.FAILED.value,
)


def pause_schedule(user_id: int, schedule_id: int) -> ScheduledTransfer:
    def pause(schedule: ScheduledTransfer) -> None:
        schedule.status = ScheduleStatus.PAUSED.value

    return _change(user_id, schedule_id, (ScheduleStatus.ACTIVE.value,), pause, "schedule.paused")


def resume_schedule(user_id: int, schedule_id: int, *, today: date) -> ScheduledTransfer:
    def resume(schedule: ScheduledTransfer) -> None:
        # Payments missed while paused (or the one that failed) are not sent in a burst.
        schedule.next_run_on = first_run_on_or_after(schedule, today)
        schedule.last_error = None
        schedule.status = (
            ScheduleStatus.ACTIVE.value
            if schedule.next_run_on is not None
            else ScheduleStatus.COMPLETED.value
        )

    allowed = (ScheduleStatus.PAUSED.value, ScheduleStatus.FAILED.value)
    return _change(user_id, schedule_id, allowed, resume, "schedule.resumed")


def cancel_schedule(user_id: int, schedule_id: int) -> ScheduledTransfer:
    def cancel(schedule: ScheduledTransfer) -> None:
        schedule.status = ScheduleStatus.CANCELLED.value
        schedule.next_run_on = None

    return _change(user_id, schedule_id, OPEN_STATUSES, cancel, "schedule.cancelled")


def _change(
    user_id: int,
    schedule_id: int,
    allowed: tuple[str, ...],
    apply: Callable[[ScheduledTransfer], None],
    action: str,
) -> ScheduledTransfer:
    session = db.session
    try:
        schedule = customer_queries.own_schedule(user_id, schedule_id, lock=True)
        if schedule.status not in allowed:
            raise ScheduleRefused(NO_LONGER)
        apply(schedule)
        audit.record_and_commit(
            session, action, user_id, "scheduled_transfer", schedule.id, {"status": schedule.status}
        )
    except BaseException:
        session.rollback()
        raise
    return schedule
