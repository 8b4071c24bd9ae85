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
from banking.services import failed_jobs, ledger_checks, operations, statement_archive
from banking.services.actor import Actor

log = logging.getLogger(__name__)


class StatementsIncomplete(Exception):
    """Some accounts' statement documents could not be produced (the others were)."""


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

    @celery.task(name="banking.produce_statements", shared=False, bind=True)
    def produce_statements(self, period: str | None = None) -> int:
        """Beat sends no period (last month, in the bank's calendar); a retry names one.

        Accounts that failed do not stop the others; if any did, the run is put in the
        admin's failed-jobs list *with the month it was for* (beat's call had none, and a
        retry next month must not produce a different month), then the task fails.
        """
        chosen = statement_archive.parse_period(period) if period else None
        report = statement_archive.produce(actor=Actor.worker(), period=chosen)
        if report.failed:
            failed_jobs.record_failure(
                task_id=self.request.id,
                task_name=self.name,
                args=[],
                kwargs={"period": report.period},
                error_type=StatementsIncomplete.__name__,
                attempts=self.request.retries + 1,
            )
            raise StatementsIncomplete(f"{report.period}: {report.summary()}")
        return report.produced

    @celery.task(name="banking.verify_ledger", shared=False)
    def verify_ledger(deep: bool = True) -> bool:
        check, _report = ledger_checks.run_check(actor=Actor.worker(), deep=deep)
        return check.ok

    @celery.task(name="banking.heartbeat", shared=False)
    def beat_heartbeat() -> float:
        """Proves a worker is taking tasks (the WorkerMissing alert watches it)."""
        return heartbeat.record_worker(time.time())
