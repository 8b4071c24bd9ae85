"""Ledger verification runs, kept: when each ran, who or what ran it, what it found.

The nightly deep run on the worker, the admin's "Run check" button and `flask ledger
verify` all record a `LedgerCheck`, so the integrity page shows the last result whoever
produced it, and the metrics can alert when the last one failed or is over 26 hours old.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from banking.core.integrity import IntegrityReport, verify_ledger
from banking.core.models import LedgerCheck
from banking.core.models.base import utcnow
from banking.extensions import db
from banking.services import audit

log = logging.getLogger(__name__)


def run_check(
    *, deep: bool, via: str, actor_id: int | None = None, limit: int = 50
) -> tuple[LedgerCheck, IntegrityReport]:
    """Verify the ledger, record the run (and an audit row), commit; return both."""
    session = db.session
    started = utcnow()
    report = verify_ledger(session, limit=limit, deep=deep)
    check = LedgerCheck(
        started_at=started,
        finished_at=utcnow(),
        deep=deep,
        ok=report.ok,
        breaches=len(report.breaches),
        report=report.to_dict(),
        via=via,
        actor_id=actor_id,
    )
    session.add(check)
    audit.record(
        "ledger.verify",
        actor_id=actor_id,
        target_type="ledger",
        success=report.ok,
        details={"ok": report.ok, "breaches": len(report.breaches), "deep": deep, "via": via},
    )
    session.commit()
    if not report.ok:
        log.error("ledger verification failed", extra={"breaches": len(report.breaches)})
    return check, report


def latest() -> LedgerCheck | None:
    return db.session.scalar(select(LedgerCheck).order_by(LedgerCheck.finished_at.desc()))
