"""The operator's batch use cases (`flask ledger|interest|transfers|statements ...`).

Commands parse their options and print; these functions own the database work, so a
command never touches the session, and a later worker or admin page runs the very same
code. The ledger's batch functions commit each movement in its own transaction (their
retry loops need that); the unit of work around them only makes sure nothing is left
open or half-written when one of them raises.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app

from banking.core import interest, ledger, scheduling
from banking.core.integrity import IntegrityReport, verify_ledger
from banking.core.statements import Month, Statement, build_statement
from banking.services import audit
from banking.services.actor import Actor
from banking.services.admin import work
from banking.services.admin.accounts import find_customer_account
from banking.services.transfers import limits_from_config

HOLD_EXPIRED = "transfer.hold_expired"


def check_ledger(*, limit: int = 50, deep: bool = False) -> IntegrityReport:
    """Every ledger invariant (a read: nothing to commit)."""
    return verify_ledger(work.session(), limit=limit, deep=deep)


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
    with work.unit_of_work() as session:
        return ledger.expire_holds(session, on_expired=on_expired)


def accrue_interest(period: interest.Period, rate_bp: int) -> interest.AccrualReport:
    """Pay one month's savings interest (each account at most once per period)."""
    with work.unit_of_work() as session:
        return interest.accrue(
            session, period, rate_bp, max_retries=current_app.config["LEDGER_MAX_RETRIES"]
        )


def run_due_transfers(today: date) -> scheduling.RunReport:
    """Post every scheduled transfer due on `today` once; failures stay on their schedule."""
    with work.unit_of_work() as session:
        return scheduling.run_due(
            session,
            today,
            limits=limits_from_config(),
            max_retries=current_app.config["LEDGER_MAX_RETRIES"],
        )


@dataclass
class StatementExport:
    masked_number: str
    statement: Statement


def statement_of(number: str, month: Month, *, tz: str) -> StatementExport | None:
    """One customer account's statement for `month` (None: no customer account has it)."""
    account = find_customer_account(number)
    if account is None:
        return None
    statement = build_statement(work.session(), account.id, month, tz=tz)
    return StatementExport(account.masked_number, statement)
