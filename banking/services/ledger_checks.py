"""Ledger verification runs, kept: when each ran, who or what ran it, what it found.

The nightly deep run on the worker, the admin's "Run check" button and `flask ledger
verify` all go through `run_check`, which records a `LedgerCheck` and one audit row
(`ledger.verify`, with the door in `via`) in the same transaction. So the integrity page
shows the last result whoever produced it, every worker process and host shows the same
one (it is in the database, not a cache that may be down or evicted), and the metrics
can alert when the last one failed or is over 26 hours old.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from banking.core.integrity import IntegrityReport, verify_ledger
from banking.core.models import LedgerCheck, User
from banking.core.models.base import utcnow
from banking.services.actor import Actor
from banking.services.admin import work

log = logging.getLogger(__name__)

VERIFY = "ledger.verify"  # the one audit action, whichever door ran the check


def run_check(
    *, actor: Actor, deep: bool = False, limit: int = 50
) -> tuple[LedgerCheck, IntegrityReport]:
    """Verify the ledger, record the run and its audit row, commit; return both.

    `limit` caps the breaches listed per check; the report's `truncated` names the
    checks that found more than it lists.
    """
    started = utcnow()
    with work.unit_of_work() as session:
        report = verify_ledger(session, limit=limit, deep=deep)
        check = LedgerCheck(
            started_at=started,
            finished_at=utcnow(),
            deep=deep,
            ok=report.ok,
            breaches=len(report.breaches),
            report=report.to_dict(),
            via=actor.via,
            actor_id=actor.user_id,
        )
        session.add(check)
        work.record(
            session,
            VERIFY,
            actor,
            target_type="ledger",
            target_id=None,
            success=report.ok,
            details={"ok": report.ok, "breaches": len(report.breaches), "deep": deep},
        )
    if not report.ok:
        log.error(
            "ledger verification failed",
            extra={"breaches": len(report.breaches), "via": actor.via},
        )
    return check, report


def latest() -> LedgerCheck | None:
    """The most recent run (the metrics' "result and age of the last verification")."""
    query = select(LedgerCheck).order_by(LedgerCheck.finished_at.desc(), LedgerCheck.id.desc())
    return work.session().scalar(query.limit(1))


@dataclass(frozen=True)
class LastCheck:
    """The last run as the integrity page shows it: the row, and the person if one ran it."""

    check: LedgerCheck
    actor: User | None

    @property
    def breaches(self) -> list[dict]:
        return list(self.check.report.get("breaches", []))

    @property
    def truncated(self) -> list[str]:
        return list(self.check.report.get("truncated", []))

    @property
    def checks(self) -> list[str]:
        return list(self.check.report.get("checks", []))

    @property
    def totals(self) -> dict:
        return dict(self.check.report.get("totals", {}))


def last_check() -> LastCheck | None:
    """The latest run and who ran it (None: the ledger has never been verified)."""
    check = latest()
    if check is None:
        return None
    actor = work.session().get(User, check.actor_id) if check.actor_id is not None else None
    return LastCheck(check, actor)
