"""The dashboard's data: accounts, totals per currency, recent movements and 30-day series.

Built as plain dicts and lists (no ORM objects) so it can be cached per user: the
summary is read on every visit to the home page, and every money movement touching
the user deletes it (`banking.caching.invalidate_users`), so it is never stale.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import or_, select

from banking.caching import get_or_load, user_key
from banking.extensions import db
from banking.models import (
    Account,
    AccountKind,
    AccountStatus,
    Entry,
    JournalTransaction,
    TransactionKind,
    TransactionStatus,
    User,
)
from banking.models.base import as_utc, utcnow

RECENT_COUNT = 10
CHART_DAYS = 30
KIND_LABELS = {
    TransactionKind.DEPOSIT.value: "Deposit",
    TransactionKind.WITHDRAWAL.value: "Withdrawal",
    TransactionKind.INTEREST.value: "Interest",
    TransactionKind.ADJUSTMENT.value: "Adjustment by the bank",
    TransactionKind.REVERSAL.value: "Reversal",
}


def cached_summary(user_id: int) -> dict[str, Any]:
    """The summary from the cache, or freshly built (and cached for DASHBOARD_CACHE_SECONDS)."""
    return get_or_load(
        user_key("dashboard", user_id),
        lambda: build_summary(user_id),
        timeout=current_app.config["DASHBOARD_CACHE_SECONDS"],
    )


def build_summary(user_id: int) -> dict[str, Any]:
    accounts = list(
        db.session.scalars(
            select(Account)
            .where(Account.owner_id == user_id, Account.kind != AccountKind.SYSTEM.value)
            .order_by(Account.id)
        )
    )
    visible = [a for a in accounts if a.status != AccountStatus.CLOSED.value]
    totals: dict[str, dict[str, int]] = {}
    for account in visible:
        total = totals.setdefault(account.currency, {"balance": 0, "available": 0})
        total["balance"] += account.balance
        total["available"] += account.available_balance
    return {
        "accounts": [_account_row(a) for a in visible],
        "totals": [{"currency": c, **v} for c, v in sorted(totals.items())],
        "recent": recent_movements(accounts),
        "series": daily_series(accounts),
    }


def _account_row(account: Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "name": account.display_name,
        "kind": account.kind,
        "masked_number": account.masked_number,
        "currency": account.currency,
        "balance": account.balance,
        "available": account.available_balance,
        "status": account.status,
        "status_reason": account.status_reason or "",
    }


def recent_movements(accounts: list[Account], limit: int = RECENT_COUNT) -> list[dict[str, Any]]:
    """Posted entries and still-pending transfers across the accounts, newest first."""
    by_id = {a.id: a for a in accounts}
    if not by_id:
        return []
    ids = list(by_id)
    rows: list[dict[str, Any]] = []
    posted = db.session.execute(
        select(Entry, JournalTransaction)
        .join(JournalTransaction, Entry.transaction_id == JournalTransaction.id)
        .where(Entry.account_id.in_(ids))
        .order_by(Entry.created_at.desc(), Entry.id.desc())
        .limit(limit)
    ).all()
    for entry, txn in posted:
        outgoing = entry.amount < 0
        rows.append(
            _movement(txn, by_id[entry.account_id], entry.amount, outgoing, "posted", by_id)
        )
    pending = db.session.scalars(
        select(JournalTransaction)
        .where(
            JournalTransaction.status == TransactionStatus.PENDING.value,
            or_(
                JournalTransaction.source_account_id.in_(ids),
                JournalTransaction.destination_account_id.in_(ids),
            ),
        )
        .order_by(JournalTransaction.created_at.desc(), JournalTransaction.id.desc())
        .limit(limit)
    ).all()
    for txn in pending:
        outgoing = txn.source_account_id in by_id
        account = by_id[txn.source_account_id if outgoing else txn.destination_account_id]
        amount = -txn.amount if outgoing else txn.amount
        rows.append(_movement(txn, account, amount, outgoing, "pending", by_id))
    rows.sort(key=lambda row: (row["when"], row["transaction_id"]), reverse=True)
    return rows[:limit]


def _movement(
    txn: JournalTransaction,
    account: Account,
    amount: int,
    outgoing: bool,
    status: str,
    own: dict[int, Account],
) -> dict[str, Any]:
    other_id = txn.destination_account_id if outgoing else txn.source_account_id
    return {
        "transaction_id": txn.id,
        "when": as_utc(txn.posted_at or txn.created_at)
        if status == "posted"
        else as_utc(txn.created_at),
        "account_name": account.display_name,
        "currency": account.currency,
        "amount": amount,
        "status": status,
        "description": _describe(txn, other_id, outgoing, own),
        "memo": txn.memo or "",
    }


def _describe(txn: JournalTransaction, other_id: int, outgoing: bool, own: dict[int, Account]):
    if txn.kind in KIND_LABELS:
        return KIND_LABELS[txn.kind]
    direction = "To" if outgoing else "From"
    if other_id in own:
        return f"{direction} {own[other_id].display_name}"
    other = db.session.get(Account, other_id)
    if other is None or other.is_system:
        return "Transfer"
    from banking.accounts.transfers import mask_name

    owner = db.session.get(User, other.owner_id) if other.owner_id else None
    name = mask_name(owner.full_name) if owner else ""
    return f"{direction} {name} {other.masked_number}".replace("  ", " ")


def _display_zone() -> ZoneInfo:
    try:
        return ZoneInfo(current_app.config.get("DISPLAY_TIMEZONE", "UTC"))
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def daily_series(
    accounts: list[Account], days: int = CHART_DAYS, now: datetime | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Per currency, for each of the last `days` days: money in, money out, end-of-day balance.

    The end-of-day balance is worked backwards from today's balance, so the last point
    always equals what the accounts list shows.
    """
    if not accounts:
        return {}
    zone = _display_zone()
    today = (now or utcnow()).astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, time.min, tzinfo=zone).astimezone(UTC)
    currency_of = {a.id: a.currency for a in accounts}
    current: dict[str, int] = defaultdict(int)
    for account in accounts:
        current[account.currency] += account.balance
    entries = db.session.execute(
        select(Entry.account_id, Entry.amount, Entry.created_at).where(
            Entry.account_id.in_(list(currency_of)), Entry.created_at >= start
        )
    ).all()
    flows: dict[str, dict[date, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for account_id, amount, created_at in entries:
        day = as_utc(created_at).astimezone(zone).date()
        bucket = flows[currency_of[account_id]][day]
        bucket[0 if amount > 0 else 1] += abs(amount)
    series: dict[str, list[dict[str, Any]]] = {}
    for currency in sorted(current):
        balance = current[currency]
        points = []
        for offset in range(days):  # newest first, undoing each day's net to get the day before
            day = today - timedelta(days=offset)
            money_in, money_out = flows[currency].get(day, [0, 0])
            points.append({"day": day, "in": money_in, "out": money_out, "balance": balance})
            balance -= money_in - money_out
        series[currency] = list(reversed(points))
    return series
