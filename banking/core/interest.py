"""Monthly interest on savings accounts, paid through the ledger exactly once per period.

Integer arithmetic only. For a period (a calendar month, UTC) each savings account earns

    interest = round_half_even(balance * rate_bp / 120_000)

in minor units, where `balance` is the account's balance at the end of the period (the
sum of its entries created before the first instant of the next month), `rate_bp` is the
annual rate in basis points (150 = 1.50 % a year) and 120_000 = 10_000 bp × 12 months.
Ties round to the even cent (banker's rounding) so that, over many accounts, rounding
neither favours the bank nor the customers. A zero or negative balance earns nothing, and
zero interest posts nothing.

Each payment is `ledger.post_adjustment(kind="interest", system_code=INTEREST_EXPENSE)`
with the idempotency key `interest:<account id>:<YYYY-MM>`, so running the accrual
again for the same period replays instead of paying twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from banking.core import audit, ledger
from banking.core.clock import SYSTEM_CLOCK, Clock
from banking.core.models import Account, AccountKind, AccountStatus, Entry, TransactionKind
from banking.core.periods import MALFORMED, InvalidMonth, Month

INTEREST_PAID = "interest.paid"  # audit action of one payment (actor: none, the system)
BASIS_POINTS = 10_000
MONTHS_PER_YEAR = 12


class InvalidPeriod(InvalidMonth):
    """A period that is not YYYY-MM, or a month that has not ended yet."""


@dataclass
class AccrualReport:
    period: str
    paid: int = 0  # accounts paid by this run
    total_paid: int = 0  # minor units paid by this run
    already_paid: int = 0  # accounts this period had already paid (replays)
    nothing_due: int = 0  # accounts whose interest rounds to zero
    failed: list[tuple[int, str]] = field(default_factory=list)  # (account id, reason)


def parse_period(text: str, *, now: datetime | None = None) -> Month:
    """Parse "YYYY-MM"; refuse a malformed month, and any month that has not ended yet
    (interest on a month still under way would use a balance that can still change)."""
    try:
        period = Month.parse(text)
    except InvalidMonth as exc:
        # The operator's wording (the CLI's), on the one parser statements use too.
        if exc.code == MALFORMED:
            raise InvalidPeriod("Give the period as YYYY-MM, e.g. 2024-05.") from None
        raise InvalidPeriod(f"{text!r} is not a valid month.", code=exc.code) from None
    if period.ends_at > (now or SYSTEM_CLOCK.now()):
        raise InvalidPeriod(
            f"{period} has not ended yet; interest is paid for past months.", code="month_open"
        )
    return period


def monthly_interest(balance: int, rate_bp: int) -> int:
    """One month's interest on `balance` minor units at `rate_bp` a year, half-to-even."""
    if balance <= 0 or rate_bp <= 0:
        return 0
    denominator = BASIS_POINTS * MONTHS_PER_YEAR
    quotient, remainder = divmod(balance * rate_bp, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2 == 1):
        quotient += 1
    return quotient


def balances_at_end(session: Session, period: Month) -> dict[int, int]:
    """Savings account id -> balance at the end of `period`, from the entries themselves."""
    rows = session.execute(
        select(Account.id, func.coalesce(func.sum(Entry.amount), 0))
        .join(Entry, Entry.account_id == Account.id)
        .where(
            Account.kind == AccountKind.SAVINGS.value,
            Account.status != AccountStatus.CLOSED.value,
            Entry.created_at < period.ends_at,
        )
        .group_by(Account.id)
        .order_by(Account.id)
    ).all()
    return {account_id: int(balance) for account_id, balance in rows}


def accrue(
    session: Session,
    period: Month,
    rate_bp: int,
    *,
    max_retries: int = 8,
    clock: Clock = SYSTEM_CLOCK,
) -> AccrualReport:
    """Pay `period`'s interest to every savings account (once: repeats are replays).

    `clock` stamps the payments: the default real time, since interest for a finished
    month is paid (and shows in history) when it is actually paid.
    """
    report = AccrualReport(period=str(period))
    balances = balances_at_end(session, period)
    session.rollback()  # end the read transaction before the ledger's own ones
    percent = f"{rate_bp // 100}.{rate_bp % 100:02d}"
    for account_id, balance in balances.items():
        amount = monthly_interest(balance, rate_bp)
        if amount == 0:
            report.nothing_due += 1
            continue
        try:
            result = ledger.post_adjustment(
                session,
                account_id=account_id,
                amount=amount,
                initiator_id=None,
                key=f"interest:{account_id}:{period}",
                memo=f"Interest for {period} at {percent}% a year",
                kind=TransactionKind.INTEREST.value,
                system_code=ledger.INTEREST_EXPENSE,
                on_posted=_audit_paid(period, rate_bp),
                max_retries=max_retries,
                clock=clock,
            )
        except ledger.LedgerError as exc:
            report.failed.append((account_id, exc.message))
            continue
        if result.replayed:
            report.already_paid += 1
        else:
            report.paid += 1
            report.total_paid += amount
    return report


def _audit_paid(period: Month, rate_bp: int) -> ledger.Hook:
    """The audit row of one payment: money the bank paid out always has its row."""
    return audit.transaction_hook(
        INTEREST_PAID,
        details=lambda txn: {
            "account_id": txn.destination_account_id,
            "amount": txn.amount,
            "period": str(period),
            "rate_bp": rate_bp,
        },
    )
