"""The admin page's ledger check: run `verify_ledger` on demand and remember the last result.

The result is kept in the shared cache (not in process memory) so every worker shows
the same "last run"; if the cache is down the page simply has no last result.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from banking.core.integrity import verify_ledger
from banking.extensions import cache
from banking.services.actor import Actor
from banking.services.admin import work

log = logging.getLogger(__name__)
LAST_RESULT_KEY = "admin:integrity:last"
KEEP_SECONDS = 30 * 24 * 3600


def run_check(*, actor: Actor, actor_email: str) -> dict:
    """Verify the ledger now, audit that it was run, and keep the result for the page."""
    with work.unit_of_work() as session:
        report = verify_ledger(session)
        work.record(
            session,
            "admin.integrity_check",
            actor,
            target_type="ledger",
            target_id=None,
            success=report.ok,
            details={"ok": report.ok, "breaches": len(report.breaches)},
        )
    result = report.to_dict()
    result["ran_at"] = datetime.now(UTC)
    result["ran_by"] = actor_email
    if not report.ok:
        log.error("ledger integrity check failed", extra={"breaches": len(report.breaches)})
    try:
        cache.set(LAST_RESULT_KEY, result, timeout=KEEP_SECONDS)
    except Exception as exc:  # noqa: BLE001 - a cache outage must not lose the page
        log.warning("cache write failed", extra={"error_type": type(exc).__name__})
    return result


def last_result() -> dict | None:
    try:
        return cache.get(LAST_RESULT_KEY)
    except Exception as exc:  # noqa: BLE001
        log.warning("cache read failed", extra={"error_type": type(exc).__name__})
        return None
