"""Periodic tasks, sent by beat: the same services the `flask` commands call.

Each task names the worker as its actor (`via: worker` in the audit trail), where the
command names the CLI; otherwise the two run exactly the same code.
"""

from __future__ import annotations

import logging
import time

from celery import Celery

from banking import heartbeat
from banking.core import interest
from banking.services import ledger_checks, operations
from banking.services.actor import Actor

log = logging.getLogger(__name__)
# shared=False: a "shared" task is also registered on every Celery app created later in
# the process (one per Flask app), where it duplicates that app's own registration.


def register(celery: Celery) -> None:
    @celery.task(name="banking.run_due_transfers", shared=False)
    def run_due_transfers() -> str:
        return operations.run_due_transfers(actor=Actor.worker()).summary()

    @celery.task(name="banking.expire_holds", shared=False)
    def expire_holds() -> int:
        return operations.expire_holds(actor=Actor.worker())

    @celery.task(name="banking.accrue_interest", shared=False)
    def accrue_interest(period: str | None = None) -> int:
        """Beat sends no period (the 1st pays the previous month); a retry or an operator
        may name one (YYYY-MM), which must have ended."""
        chosen = interest.parse_period(period) if period else None
        report = operations.accrue_interest(actor=Actor.worker(), period=chosen)
        log.info(
            "interest accrued",
            extra={"period": report.period, "paid": report.paid, "failed": len(report.failed)},
        )
        return report.paid

    @celery.task(name="banking.verify_ledger", shared=False)
    def verify_ledger(deep: bool = True) -> bool:
        check, _report = ledger_checks.run_check(actor=Actor.worker(), deep=deep)
        return check.ok

    @celery.task(name="banking.heartbeat", shared=False)
    def beat_heartbeat() -> float:
        """Proves a worker is taking tasks (the WorkerMissing alert watches it)."""
        return heartbeat.record_worker(time.time())
