"""Periodic tasks, sent by beat: the same services the `flask` commands call."""

from __future__ import annotations

import logging
import time

from celery import Celery

from banking import heartbeat
from banking.services import housekeeping, ledger_checks

log = logging.getLogger(__name__)


def register(celery: Celery) -> None:
    @celery.task(name="banking.run_due_transfers")
    def run_due_transfers() -> str:
        report = housekeeping.run_due_transfers()
        log.info("scheduled transfers run", extra={"summary": report.summary()})
        return report.summary()

    @celery.task(name="banking.expire_holds")
    def expire_holds() -> int:
        return housekeeping.expire_holds(via="worker")

    @celery.task(name="banking.accrue_interest")
    def accrue_interest(period: str | None = None) -> int:
        from banking.core import interest

        parsed = interest.parse_period(period) if period else None
        report = housekeeping.accrue_interest(parsed)
        return report.paid

    @celery.task(name="banking.verify_ledger")
    def verify_ledger(deep: bool = True) -> bool:
        check, _report = ledger_checks.run_check(deep=deep, via="worker")
        return check.ok

    @celery.task(name="banking.heartbeat")
    def beat_heartbeat() -> float:
        """Proves a worker is taking tasks (the WorkerMissing alert watches it)."""
        return heartbeat.record_worker(time.time())
