"""One line of history as the customer reads it, and who was on the other side."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from banking.core import categories
from banking.core.history.filters import _own_owner_id
from banking.core.models import (
    AccountKind,
    JournalTransaction,
    TransactionKind,
    TransactionStatus,
)
from banking.core.models.base import as_utc
from banking.core.names import counterparty_title, decline_reason, kind_label, movement_detail

# A held transfer that was not sent: rejected by an admin, or not reviewed in time.
DECLINED_STATUSES = (TransactionStatus.REJECTED.value, TransactionStatus.EXPIRED.value)


@dataclass(frozen=True)
class HistoryRow:
    """One line of history as the customer reads it."""

    entry_id: int | None
    transaction_id: int
    created_at: datetime
    kind: str
    amount: int  # signed: + money in, - money out
    balance_after: int | None  # None for pending (not in the running balance)
    memo: str
    counterparty: str
    pending: bool = False
    declined: bool = False
    reason: str = ""  # why a declined transfer was not sent
    # Money the customer sent to someone else's account: the row offers "Pay again".
    repeatable: bool = False
    # Its category key (`banking.core.categories`), worked out with the owner's overrides,
    # and the merchant a customer can put under another category ("" when none).
    category: str = categories.OTHER
    merchant: str = ""

    @property
    def category_label(self) -> str:
        return categories.label(self.category)

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)

    @property
    def detail(self) -> str:
        """The smaller line under the counterparty: kind, then what the memo adds."""
        return movement_detail(self.counterparty, self.kind, self.memo)

    @property
    def direction(self) -> str:
        return "in" if self.amount > 0 else "out"


@dataclass(frozen=True)
class HistoryPage:
    rows: list[HistoryRow]
    pending: list[HistoryRow]
    next_cursor: str | None


def _movement_columns(account_id: int, other, other_owner) -> tuple:
    """What a history row says about its transaction and the other side (posted or held)."""
    return (
        JournalTransaction.id.label("transaction_id"),
        JournalTransaction.kind,
        JournalTransaction.memo,
        other.number.label("other_number"),
        other.nickname.label("other_nickname"),
        other.kind.label("other_kind"),
        other.owner_id.label("other_owner_id"),
        other_owner.full_name.label("other_owner_name"),
        _own_owner_id(account_id).label("own_owner_id"),
        other.system_code.label("other_system_code"),
    )


def _counterparty(row) -> str:
    """Who was on the other side, in words the customer recognizes (never a full number)."""
    return counterparty_title(
        other_number=row.other_number,
        other_kind=row.other_kind,
        other_system_code=row.other_system_code,
        other_nickname=row.other_nickname,
        other_owner_id=row.other_owner_id,
        own_owner_id=row.own_owner_id,
        other_owner_name=row.other_owner_name,
        memo=row.memo,
        kind=row.kind,
    )


Overrides = Mapping[str, str]


def _side(row) -> str:
    return categories.side_of(
        other_number=row.other_number,
        other_kind=row.other_kind,
        other_system_code=row.other_system_code,
        other_owner_id=row.other_owner_id,
        own_owner_id=row.own_owner_id,
    )


def _row(row, *, pending: bool = False, overrides: Overrides | None = None) -> HistoryRow:
    side = _side(row)
    return HistoryRow(
        entry_id=None if pending else row.id,
        transaction_id=row.transaction_id,
        created_at=as_utc(row.created_at),
        kind=row.kind,
        amount=row.amount,
        balance_after=None if pending else row.balance_after,
        memo=row.memo or "",
        counterparty=_counterparty(row),
        pending=pending,
        repeatable=_repeatable(row),
        category=categories.categorise(
            side=side, kind=row.kind, memo=row.memo, overrides=overrides
        ),
        merchant=categories.merchant_of(side, row.memo),
    )


def _repeatable(row) -> bool:
    """An outgoing transfer to another customer (never to the bank or between one's own
    accounts): what the pay form can be filled from (`?again=`; the view checks again)."""
    return (
        row.kind == TransactionKind.TRANSFER.value
        and row.amount < 0
        and row.other_kind != AccountKind.SYSTEM.value
        and row.other_owner_id is not None
        and row.other_owner_id != row.own_owner_id
    )


def _declined_row(row, overrides: Overrides | None = None) -> HistoryRow:
    """A held transfer that was declined: no entry, no balance, the reason in words."""
    base = _row(row, pending=True, overrides=overrides)
    return HistoryRow(
        entry_id=None,
        transaction_id=base.transaction_id,
        created_at=base.created_at,
        kind=base.kind,
        amount=base.amount,
        balance_after=None,
        memo=base.memo,
        counterparty=base.counterparty,
        declined=True,
        reason=decline_reason(row.status, row.decision_reason),
        category=base.category,
        merchant=base.merchant,
    )
