"""The periodic jobs, one service each (scheduled transfers, hold expiry, monthly interest),
and the operator's statement export.

The worker's beat tasks (`banking.tasks.periodic`) and the operator's `flask transfers
run-due | ledger expire-holds | interest accrue` call these same functions, so the two
doors cannot drift apart; the `Actor` says which door (`Actor.worker()` or
`Actor.cli()`) and the audit rows carry it as `via`. Each job is safe to run twice or from
two places at once (the core's idempotency keys and row locks see to it), so an
operator's manual run never races the scheduler into a double posting.

The ledger's batch functions commit each movement in its own transaction (their retry
loops need that); the unit of work around them only makes sure nothing is left open or
half-written when one of them raises. Ledger verification, the fourth periodic job, is
`banking.services.ledger_checks.run_check` (it keeps every result for the admin page).

Why here and not in `services/admin/`: none of these is an admin's use case (no person
decides them; the clock does), and the worker, not the admin pages, is their main caller.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask import current_app

from banking.core import interest, ledger, scheduling
from banking.core.periods import Month, local_today
from banking.core.statements import Statement, build_statement
from banking.services import audit, notifications
from banking.services.actor import Actor
from banking.services.admin import work
from banking.services.admin.accounts import find_customer_account
from banking.services.categories import overrides_for
from banking.services.transfers import limits_from_config

log = logging.getLogger(__name__)

HOLD_EXPIRED = "transfer.hold_expired"
INTEREST_RUN = "interest.accrual_run"


def previous_month(now: datetime | None = None) -> Month:
    """The month before `now` (UTC): what the run on the 1st pays interest for.

    Interest periods are UTC months, so a run at 00:30 UTC on 1 March pays February
    wherever the bank's display timezone is.
    """
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return Month.of(moment.date()).previous()


def bank_today(now: datetime | None = None) -> date:
    """Today in DISPLAY_TIMEZONE: the bank's calendar day, which decides what is due."""
    return local_today(current_app.config.get("DISPLAY_TIMEZONE", "UTC"), now)


def run_due_transfers(*, actor: Actor, today: date | None = None) -> scheduling.RunReport:
    """Post every scheduled occurrence due on or before `today` (default: the bank's
    today) exactly once; a failure stays recorded on its schedule.

    No run-level audit row: this runs every minute, and each posting already has its
    own (`schedule.executed`).
    """
    with work.unit_of_work() as session:
        report = scheduling.run_due(
            session,
            today or bank_today(),
            limits=limits_from_config(),
            max_retries=current_app.config["LEDGER_MAX_RETRIES"],
        )
    if report.posted or report.failed or report.deferred:
        log.info("scheduled transfers run", extra={"summary": report.summary(), "via": actor.via})
    return report


def expire_holds(*, actor: Actor) -> int:
    """Release every hold past its expiry; each release is audited as transfer.hold_expired.

    Money the customer reserved is theirs again and no person decided it (actor none), so
    the trail must say the clock did, and through which door it was run.
    """
    on_expired = audit.transaction_hook(
        HOLD_EXPIRED,
        actor_id=actor.user_id,
        details=lambda txn: {
            "amount": txn.amount,
            "account_id": txn.source_account_id,
            "status": txn.status,
            "via": actor.via,
        },
    )
    with work.unit_of_work() as session:  # queues the senders' emails after it
        return ledger.expire_holds(
            session, on_expired=notifications.with_hold_notices(on_expired)
        )


def accrue_interest(*, actor: Actor, period: Month | None = None) -> interest.AccrualReport:
    """Pay `period`'s savings interest (default: last month); each account at most once.

    Each payment has its own audit row (`interest.paid`); the run gets one more, naming
    the door and the totals, so "who paid February's interest, and when" has an answer
    even for a replay that paid nothing.
    """
    rate_bp = int(current_app.config["SAVINGS_ANNUAL_RATE_BP"])
    chosen = period or previous_month()
    with work.unit_of_work() as session:
        report = interest.accrue(
            session, chosen, rate_bp, max_retries=current_app.config["LEDGER_MAX_RETRIES"]
        )
        work.record(
            session,
            INTEREST_RUN,
            actor,
            target_type="interest_period",
            target_id=str(chosen),
            success=not report.failed,
            details={
                "rate_bp": rate_bp,
                "paid": report.paid,
                "total_paid": report.total_paid,
                "already_paid": report.already_paid,
                "failed": len(report.failed),
            },
        )
    return report


@dataclass
class StatementExport:
    masked_number: str
    statement: Statement


def statement_of(number: str, month: Month, *, tz: str) -> StatementExport | None:
    """One customer account's statement for `month` (None: no customer account has it)."""
    account = find_customer_account(number)
    if account is None:
        return None
    overrides = overrides_for(account.owner_id) if account.owner_id else None
    statement = build_statement(work.session(), account.id, month, tz=tz, overrides=overrides)
    return StatementExport(account.masked_number, statement)
