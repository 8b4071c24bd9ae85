"""A customer's month in figures: spending by category, income vs spending, the change
from the month before, the top merchants.

One aggregate query covers both months, whatever the number of movements: entries of the
customer's accounts in [previous month's start, this month's end), read off
`ix_entries_account_created_id`, grouped by what decides a category (the kind, the other
side, and for money from or to outside the bank its memo, which names the merchant). The
groups are few (merchants, not movements), so categorising them in Python with the
customer's overrides (`banking.core.categories`) costs nothing and keeps one rule book.

Moving money between one's own accounts is neither income nor spending: left out.
One currency: the customer's first account's; accounts in other currencies are named.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from banking.core import categories
from banking.core.categories import rules
from banking.core.history.filters import day_bounds
from banking.core.ledger.system_accounts import EXTERNAL_CASH
from banking.core.models import Account, AccountKind, Entry, JournalTransaction
from banking.core.names import memo_party
from banking.core.periods import Month

TOP_MERCHANTS = 5


@dataclass(frozen=True)
class CategoryLine:
    key: str
    label: str
    spent: int  # this month, minor units (positive)
    previous: int  # the month before

    @property
    def change(self) -> int:
        return self.spent - self.previous

    @property
    def change_percent(self) -> int | None:
        """Whole percent change from the month before (None when it had nothing)."""
        if not self.previous:
            return None
        return round(self.change * 100 / self.previous)


@dataclass(frozen=True)
class MerchantLine:
    merchant: str
    category: str
    spent: int
    count: int

    @property
    def category_label(self) -> str:
        return categories.label(self.category)


@dataclass(frozen=True)
class MonthInsights:
    month: Month
    currency: str | None  # None: the customer has no account
    income: int = 0
    spending: int = 0
    previous_income: int = 0
    previous_spending: int = 0
    categories: list[CategoryLine] = field(default_factory=list)  # most spent first
    merchants: list[MerchantLine] = field(default_factory=list)  # top TOP_MERCHANTS
    other_currencies: list[str] = field(default_factory=list)

    @property
    def net(self) -> int:
        return self.income - self.spending


def _side(other_kind: str | None, other_code: str | None, own: bool | None) -> str:
    """`categories.side_of` from the grouped columns (the owner test was done in SQL)."""
    return rules.side_of(
        other_number="" if other_kind is not None else None,
        other_kind=other_kind,
        other_system_code=other_code,
        other_owner_id=1 if own else None,
        own_owner_id=1,
    )


def _aggregate(session: Session, user_id: int, account_ids: list[int], start, split, end):
    """Money in and out per (month, kind, other side, external memo) in one statement."""
    other = aliased(Account, name="insight_other")
    txn = JournalTransaction
    other_id = case(
        (txn.source_account_id == Entry.account_id, txn.destination_account_id),
        else_=txn.source_account_id,
    )
    external = (other.kind == AccountKind.SYSTEM.value) & (other.system_code == EXTERNAL_CASH)
    memo = case((external, txn.memo), else_=None).label("memo")
    current = (Entry.created_at >= split).label("current")
    own = (other.owner_id == user_id).label("own")
    money_in = func.sum(case((Entry.amount > 0, Entry.amount), else_=0)).label("money_in")
    money_out = func.sum(case((Entry.amount < 0, -Entry.amount), else_=0)).label("money_out")
    stmt = (
        select(
            current,
            txn.kind,
            other.kind.label("other_kind"),
            other.system_code,
            own,
            memo,
            money_in,
            money_out,
            func.count().label("count"),
        )
        .select_from(Entry)
        .join(txn, txn.id == Entry.transaction_id)
        .outerjoin(other, other.id == other_id)
        .where(
            Entry.account_id.in_(account_ids),
            Entry.created_at >= start,
            Entry.created_at < end,
        )
        .group_by(current, txn.kind, other.kind, other.system_code, own, memo)
    )
    return session.execute(stmt).all()


def month_insights(
    session: Session,
    user_id: int,
    month: Month,
    *,
    tz: str = "UTC",
    overrides: Mapping[str, str] | None = None,
) -> MonthInsights:
    """`user_id`'s insights for `month` (days in the display time zone `tz`): two queries."""
    accounts = session.execute(
        select(Account.id, Account.currency)
        .where(Account.owner_id == user_id)
        .order_by(Account.id)
    ).all()
    if not accounts:
        return MonthInsights(month=month, currency=None)
    currency = accounts[0].currency
    ids = [a.id for a in accounts if a.currency == currency]
    others = sorted({a.currency for a in accounts} - {currency})
    previous = month.previous()
    start, _ = day_bounds(previous.first_day, previous.last_day, tz)
    split, end = day_bounds(month.first_day, month.last_day, tz)

    spent: dict[bool, dict[str, int]] = {True: defaultdict(int), False: defaultdict(int)}
    totals = {True: [0, 0], False: [0, 0]}  # current? -> [income, spending]
    merchants: dict[str, list] = {}
    for row in _aggregate(session, user_id, ids, start, split, end):
        side = _side(row.other_kind, row.system_code, bool(row.own))
        if side == rules.OWN:
            continue  # between one's own accounts: neither income nor spending
        is_current = bool(row.current)
        money_in, money_out = int(row.money_in or 0), int(row.money_out or 0)
        category = categories.categorise(
            side=side, kind=row.kind, memo=row.memo, overrides=overrides
        )
        totals[is_current][0] += money_in
        totals[is_current][1] += money_out
        if money_out:
            spent[is_current][category] += money_out
        who = memo_party(row.memo)[0] if side == rules.EXTERNAL else ""
        if is_current and who and money_out:
            key = categories.merchant_key(who)
            line = merchants.setdefault(key, [who, category, 0, 0])
            line[2] += money_out
            line[3] += int(row.count)
    keys = set(spent[True]) | set(spent[False])
    lines = [
        CategoryLine(key, categories.label(key), spent[True].get(key, 0), spent[False].get(key, 0))
        for key in keys
    ]
    lines.sort(key=lambda line: (-line.spent, -line.previous, line.label))
    top = sorted(merchants.values(), key=lambda m: (-m[2], m[0]))[:TOP_MERCHANTS]
    return MonthInsights(
        month=month,
        currency=currency,
        income=totals[True][0],
        spending=totals[True][1],
        previous_income=totals[False][0],
        previous_spending=totals[False][1],
        categories=lines,
        merchants=[MerchantLine(m[0], m[1], m[2], m[3]) for m in top],
        other_currencies=others,
    )
