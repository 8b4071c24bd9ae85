"""The overview's figures: computed in a few aggregate queries and cached for a short TTL.

The cached value carries its own `computed_at`, so the page can say how old it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from banking import caching
from banking.core.models import (
    Account,
    AccountKind,
    JournalTransaction,
    ScheduledTransfer,
    ScheduleStatus,
    TransactionKind,
    TransactionStatus,
    User,
)
from banking.core.models.user import ROLE_CUSTOMER

# v3: the money figures and transfer volumes became per currency; a new key so no process
# reads an old shape.
STATS_KEY = "admin:stats:v3"
CHART_DAYS = 14


@dataclass
class DayVolume:
    day: date
    count: int
    volume: int


@dataclass
class CurrencyBooks:
    """Money held in one currency: customers' balances and the bank's system accounts.

    Per currency because amounts in different currencies cannot be added: a sum of USD
    and EUR cents means nothing, and could even hide one currency's imbalance behind
    another's.
    """

    currency: str
    customer_total: int
    system_total: int

    @property
    def balances(self) -> bool:
        """Customer money must be mirrored exactly by the system accounts of its currency."""
        return self.customer_total == -self.system_total

    @property
    def difference(self) -> int:
        return self.customer_total + self.system_total


@dataclass
class OverviewStats:
    computed_at: datetime
    customers: int
    accounts: int
    money: list[CurrencyBooks]
    transfers_24h: int
    volume_24h: list[tuple[str, int]]  # (currency, cents): amounts never add across currencies
    transfers_7d: int
    volume_7d: list[tuple[str, int]]
    pending_reviews: int
    failed_schedules: int
    locked_users: int
    chart_currency: str = "USD"  # the daily chart's volumes are in this currency only
    days: list[DayVolume] = field(default_factory=list)

    @property
    def books_balance(self) -> bool:
        """Every currency's customer money is mirrored exactly by its system accounts."""
        return all(books.balances for books in self.money)

    @property
    def age_seconds(self) -> int:
        return max(0, int((datetime.now(UTC) - self.computed_at).total_seconds()))


def overview_stats(session: Session) -> OverviewStats:
    """The cached figures (at most ADMIN_STATS_CACHE_SECONDS old)."""
    timeout = int(current_app.config.get("ADMIN_STATS_CACHE_SECONDS", 30))
    return caching.get_or_load(STATS_KEY, lambda: compute_stats(session), timeout)


def compute_stats(session: Session, now: datetime | None = None) -> OverviewStats:
    now = now or datetime.now(UTC)
    is_system = Account.kind == AccountKind.SYSTEM.value
    money = money_by_currency(session)
    chart_currency = current_app.config.get("DEFAULT_CURRENCY", "USD")
    count_24h, volume_24h = _transfers_since(session, now - timedelta(hours=24))
    count_7d, volume_7d = _transfers_since(session, now - timedelta(days=7))
    stats = OverviewStats(
        computed_at=now,
        customers=_count(session, select(func.count(User.id)).where(User.role == ROLE_CUSTOMER)),
        accounts=_count(session, select(func.count(Account.id)).where(~is_system)),
        money=money,
        transfers_24h=count_24h,
        volume_24h=volume_24h,
        transfers_7d=count_7d,
        volume_7d=volume_7d,
        pending_reviews=_count(
            session,
            select(func.count(JournalTransaction.id)).where(
                JournalTransaction.status == TransactionStatus.PENDING.value
            ),
        ),
        failed_schedules=_count(
            session,
            select(func.count(ScheduledTransfer.id)).where(
                ScheduledTransfer.status == ScheduleStatus.FAILED.value
            ),
        ),
        locked_users=_count(session, select(func.count(User.id)).where(User.is_locked.is_(True))),
        chart_currency=chart_currency,
        days=daily_volumes(session, now, currency=chart_currency),
    )
    return stats


def money_by_currency(session: Session) -> list[CurrencyBooks]:
    """Customer and system totals per currency, skipping currencies nobody uses.

    A currency whose system accounts were seeded but never used (no customer account,
    all zero) says nothing, so it is left out of the overview.
    """
    is_system = Account.kind == AccountKind.SYSTEM.value
    rows = session.execute(
        select(
            Account.currency,
            func.coalesce(func.sum(Account.balance).filter(~is_system), 0),
            func.coalesce(func.sum(Account.balance).filter(is_system), 0),
            func.count(Account.id).filter(~is_system),
        )
        .group_by(Account.currency)
        .order_by(Account.currency)
    ).all()
    return [
        CurrencyBooks(currency, int(customer), int(system))
        for currency, customer, system, customer_accounts in rows
        if customer_accounts or customer or system
    ]


def _count(session: Session, query) -> int:
    return int(session.scalar(query) or 0)


def _posted_transfers():
    return (
        JournalTransaction.kind == TransactionKind.TRANSFER.value,
        JournalTransaction.status == TransactionStatus.POSTED.value,
    )


def _transfers_since(session: Session, since: datetime) -> tuple[int, list[tuple[str, int]]]:
    """How many transfers were posted since `since`, and their volume per currency."""
    rows = session.execute(
        select(
            Account.currency,
            func.count(JournalTransaction.id),
            func.coalesce(func.sum(JournalTransaction.amount), 0),
        )
        .join(Account, Account.id == JournalTransaction.source_account_id)
        .where(*_posted_transfers(), JournalTransaction.created_at >= since)
        .group_by(Account.currency)
        .order_by(Account.currency)
    ).all()
    count = sum(int(n) for _, n, _ in rows)
    return count, [(currency, int(volume)) for currency, _, volume in rows]


def daily_volumes(
    session: Session, now: datetime, days: int = CHART_DAYS, currency: str = "USD"
) -> list[DayVolume]:
    """Posted transfers in `currency` per UTC day for the last `days` days, oldest first."""
    first = (now - timedelta(days=days - 1)).date()
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    column = JournalTransaction.created_at
    if session.get_bind().dialect.name == "postgresql":
        column = func.timezone("UTC", column)  # bucket by UTC day, whatever the session zone
    bucket = func.date(column)
    rows = session.execute(
        select(
            bucket,
            func.count(JournalTransaction.id),
            func.coalesce(func.sum(JournalTransaction.amount), 0),
        )
        .join(Account, Account.id == JournalTransaction.source_account_id)
        .where(
            *_posted_transfers(),
            JournalTransaction.created_at >= start,
            Account.currency == currency,
        )
        .group_by(bucket)
    ).all()
    found = {_as_date(day): (int(count), int(volume)) for day, count, volume in rows}
    result = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        count, volume = found.get(day, (0, 0))
        result.append(DayVolume(day, count, volume))
    return result


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])  # SQLite's date() returns text
