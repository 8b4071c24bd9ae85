"""The customer dashboard's data: accounts, totals per currency, recent movements,
30-day series, the payees paid most recently and what is coming up (`services.upcoming`).

Built as plain dicts and lists (no ORM objects) so the web layer can cache it per user
(`banking.web.accounts.dashboard`): every commit that changes one of the user's accounts
(or a transfer they send or receive, or one of their saved payees) deletes the cached
copy through `banking.caching`'s session events, so it is never stale. Read-only: nothing
here writes.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import lazyload

from banking.core import names
from banking.core.models import (
    Account,
    AccountKind,
    AccountStatus,
    Entry,
    JournalTransaction,
    Payee,
    TransactionKind,
    TransactionStatus,
    User,
)
from banking.core.models.base import as_utc, utcnow
from banking.core.names import counterparty_title, movement_detail
from banking.core.periods import display_zone, local_today
from banking.extensions import db
from banking.services.announcements import decided_transfers
from banking.services.savings import savings_rows
from banking.services.upcoming import upcoming

TRANSFER = TransactionKind.TRANSFER.value

# The rows only need their own columns: without this a JournalTransaction brings its two
# accounts (joined) and its entries (one more SELECT ... IN) on every uncached dashboard.
_NO_RELATIONSHIPS = lazyload("*")
RECENT_COUNT = 10
RECENT_PAYEES = 4
_COUNTED = (TransactionStatus.POSTED.value, TransactionStatus.PENDING.value)
CHART_DAYS = 30


def build_summary(user_id: int) -> dict[str, Any]:
    """The customer's dashboard data: open accounts, totals, recent movements, series."""
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
    rows = [_account_row(a) for a in visible]
    # Savings accounts: rate, interest earned this year and goal progress (one query,
    # cached with the rest; goal changes drop the cache through banking.caching).
    extras = savings_rows(rows)
    for row in rows:
        row["savings"] = extras.get(row["id"])
    # Coming up: the next 30 days of schedules and the month-end projection (one query).
    today = local_today(current_app.config.get("DISPLAY_TIMEZONE", "UTC"))
    projection = upcoming(user_id, accounts, today)
    for row in rows:
        row["projected"] = projection["month_end_balances"].get(row["id"])
    summary = {
        "accounts": rows,
        "totals": [{"currency": c, **v} for c, v in sorted(totals.items())],
        "recent": recent_movements(accounts),
        "series": daily_series(accounts),
        # Decided held transfers not yet dismissed; rendered outside the cached body
        # (its dismiss button is a form), dropped from the cache when dismissed.
        "announcements": decided_transfers(user_id, [a.id for a in accounts]),
        "payees": recent_payees(user_id),
        "projection": projection,
    }
    return summary


def _account_row(account: Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "name": account.display_name,
        "kind": account.kind,
        "masked_number": account.masked_number,
        # The full number: the dashboard is where a customer finds what to give out to be paid.
        "number": account.number,
        "currency": account.currency,
        "balance": account.balance,
        "available": account.available_balance,
        "status": account.status,
        "status_reason": account.status_reason or "",
    }


def recent_payees(user_id: int, limit: int = RECENT_PAYEES) -> list[dict[str, Any]]:
    """The saved payees the customer paid most recently (then the newest saved), for the
    dashboard's "Pay someone again": one statement, however many payees or transfers.

    Cached with the summary: a transfer the customer sends drops it like any movement, and
    adding, renaming or deleting a payee drops it too (`banking.caching` watches payees).
    """
    last_paid = (
        select(func.max(JournalTransaction.created_at))
        .where(
            JournalTransaction.initiator_id == user_id,
            JournalTransaction.destination_account_id == Payee.account_id,
            # The daily limit's partial index (initiator, created_at) covers exactly these.
            JournalTransaction.kind == TRANSFER,
            JournalTransaction.status.in_(_COUNTED),
        )
        .correlate(Payee)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Payee.id, Payee.nickname, Account.number)
        .join(Account, Account.id == Payee.account_id)
        .where(Payee.owner_id == user_id)
        .order_by(last_paid.desc().nulls_last(), Payee.created_at.desc(), Payee.id.desc())
        .limit(limit)
    ).all()
    return [
        {
            "id": row.id,
            "nickname": row.nickname,
            "masked_number": f"••••{row.number[-4:]}",
        }
        for row in rows
    ]


PENDING = TransactionStatus.PENDING.value
DECLINED = (TransactionStatus.REJECTED.value, TransactionStatus.EXPIRED.value)
EXPIRED_REASON = names.EXPIRED_REASON


def recent_movements(accounts: list[Account], limit: int = RECENT_COUNT) -> list[dict[str, Any]]:
    """Posted entries, still-pending transfers and the sender's declined ones, newest first.

    A held transfer that is rejected or expires moves no money, so it never becomes an
    entry; without its own row it would simply vanish, and the sender would never learn
    it was not sent, nor why. Declined transfers are shown to the sender only (the
    recipient never expected the money) and come from the same query as pending ones,
    so the dashboard costs no extra statement.
    """
    by_id = {a.id: a for a in accounts}
    if not by_id:
        return []
    ids = list(by_id)
    owner_id = accounts[0].owner_id
    rows: list[dict[str, Any]] = []
    posted = db.session.execute(
        select(Entry, JournalTransaction)
        .join(JournalTransaction, Entry.transaction_id == JournalTransaction.id)
        .where(Entry.account_id.in_(ids))
        .order_by(Entry.created_at.desc(), Entry.id.desc())
        .limit(limit)
        .options(_NO_RELATIONSHIPS)
    ).all()
    undecided_or_declined = db.session.scalars(
        select(JournalTransaction)
        .where(
            JournalTransaction.status.in_([PENDING, *DECLINED]),
            or_(
                JournalTransaction.source_account_id.in_(ids),
                and_(
                    JournalTransaction.status == PENDING,
                    JournalTransaction.destination_account_id.in_(ids),
                ),
            ),
        )
        .order_by(JournalTransaction.created_at.desc(), JournalTransaction.id.desc())
        .limit(limit)
        .options(_NO_RELATIONSHIPS)
    ).all()
    # (transaction, own account id, signed amount, outgoing, status)
    moves = [
        (txn, entry.account_id, entry.amount, entry.amount < 0, "posted") for entry, txn in posted
    ]
    for txn in undecided_or_declined:
        outgoing = txn.source_account_id in by_id
        own_id = txn.source_account_id if outgoing else txn.destination_account_id
        status = "pending" if txn.status == PENDING else "declined"
        moves.append((txn, own_id, -txn.amount if outgoing else txn.amount, outgoing, status))
    others = _other_accounts(
        {_other_id(txn, outgoing) for txn, _, _, outgoing, _ in moves} - set(by_id)
    )
    for txn, own_id, amount, outgoing, status in moves:
        account = by_id[own_id]
        when = txn.posted_at if status == "posted" and txn.posted_at else txn.created_at
        title = _title(txn, _other_id(txn, outgoing), owner_id, by_id, others)
        rows.append(
            {
                "transaction_id": txn.id,
                "when": as_utc(when),
                "account_name": account.display_name,
                "currency": account.currency,
                "amount": amount,
                "status": status,
                # Who, then how: the same words as the history page and the exports.
                "title": title,
                "detail": movement_detail(title, txn.kind, txn.memo),
                "memo": txn.memo or "",
                # The transfer page shows only what the customer sent themselves.
                "linked": txn.initiator_id is not None and txn.initiator_id == owner_id,
                "reason": decline_reason(txn) if status == "declined" else "",
            }
        )
    rows.sort(key=lambda row: (row["when"], row["transaction_id"]), reverse=True)
    return rows[:limit]


def decline_reason(txn: JournalTransaction) -> str:
    """Why a held transfer was not sent, in words for its sender."""
    return names.decline_reason(txn.status, txn.decision_reason)


def _other_id(txn: JournalTransaction, outgoing: bool) -> int:
    return txn.destination_account_id if outgoing else txn.source_account_id


def _other_accounts(ids: set[int]) -> dict[int, tuple[Account, str | None]]:
    """The other side of each movement (customers' and the bank's own accounts) with
    its owner's name, loaded in one query."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(Account, User.full_name)
        .outerjoin(User, Account.owner_id == User.id)
        .where(Account.id.in_(list(ids)))
        .options(_NO_RELATIONSHIPS)
    ).all()
    return {account.id: (account, name) for account, name in rows}


def _title(
    txn: JournalTransaction,
    other_id: int,
    owner_id: int,
    own: dict[int, Account],
    others: dict[int, tuple[Account, str | None]],
) -> str:
    """`names.counterparty_title` for a dashboard row (the history page's own words)."""
    other, other_name = (
        (own[other_id], None) if other_id in own else others.get(other_id, (None, None))
    )
    return counterparty_title(
        other_number=other.number if other else None,
        other_kind=other.kind if other else None,
        other_system_code=other.system_code if other else None,
        other_nickname=other.nickname if other else None,
        other_owner_id=other.owner_id if other else None,
        own_owner_id=owner_id,
        other_owner_name=other_name,
        memo=txn.memo,
        kind=txn.kind,
    )


def daily_series(
    accounts: list[Account], days: int = CHART_DAYS, now: datetime | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Per currency, for each of the last `days` days: money in, money out, end-of-day balance.

    The end-of-day balance is worked backwards from today's balance, so the last point
    always equals what the accounts list shows.
    """
    if not accounts:
        return {}
    tz = current_app.config.get("DISPLAY_TIMEZONE", "UTC")
    zone = display_zone(tz)
    today = local_today(tz, now or utcnow())
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
