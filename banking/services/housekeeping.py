"""The periodic jobs: scheduled transfers, hold expiry, monthly interest.

The worker's beat schedule and the `flask` commands call these same functions, and each
is safe to run twice or from two places at once (the core's idempotency keys and row
locks see to it), so an operator's manual run never races the scheduler into a double
posting.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app

from banking.core import interest, ledger, scheduling
from banking.extensions import db
from banking.services import audit
from banking.services.transfers import limits_from_config

HOLD_EXPIRED = "transfer.hold_expired"


def local_today(now: datetime | None = None) -> date:
    """Today in DISPLAY_TIMEZONE: the bank's calendar day, which decides what is due."""
    zone = ZoneInfo(current_app.config.get("DISPLAY_TIMEZONE", "UTC"))
    return (now or datetime.now(UTC)).astimezone(zone).date()


def run_due_transfers(today: date | None = None) -> scheduling.RunReport:
    """Post every scheduled occurrence due on or before `today`, each exactly once."""
    return scheduling.run_due(
        db.session,
        today or local_today(),
        limits=limits_from_config(),
        max_retries=current_app.config["LEDGER_MAX_RETRIES"],
    )


def expire_holds(*, via: str) -> int:
    """Release every hold past its expiry; each release is audited as the clock's doing."""
    on_expired = audit.transaction_hook(
        HOLD_EXPIRED,
        details=lambda txn: {
            "amount": txn.amount,
            "account_id": txn.source_account_id,
            "status": txn.status,
            "via": via,
        },
    )
    return ledger.expire_holds(db.session, on_expired=on_expired)


def previous_month(now: datetime | None = None) -> interest.Period:
    """The month before `now` (UTC): what the 1st-of-the-month run pays interest for."""
    now = now or datetime.now(UTC)
    year, month = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
    return interest.parse_period(f"{year:04d}-{month:02d}", now=now)


def accrue_interest(period: interest.Period | None = None) -> interest.AccrualReport:
    """Pay `period`'s savings interest (default: last month); each account at most once."""
    return interest.accrue(
        db.session,
        period or previous_month(),
        int(current_app.config["SAVINGS_ANNUAL_RATE_BP"]),
        max_retries=current_app.config["LEDGER_MAX_RETRIES"],
    )
