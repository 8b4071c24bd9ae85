"""THE rule book: whether a movement may be made, and whether it is held for review.

Posting asks it under the row locks (the answer that counts); the transfer preview and
schedule creation ask it without locks, to refuse early with *the same words*: one
situation, one message, whichever page meets it first. The book reads accounts and
numbers and never the database itself (the caller supplies the 24-hour spend lazily), so
a locked and an unlocked caller differ only in how fresh their rows are.

Each refusal is a `LedgerError` subclass carrying `field`, the form field at fault
(`from_account`, `to_account` or `amount`), so a page can put the message where it
belongs. Form validators only check input syntax; everything about accounts, limits and
money is decided here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from banking.core.clock import SYSTEM_CLOCK
from banking.core.ledger import sent
from banking.core.ledger.errors import (
    AccountClosed,
    AccountFrozen,
    AccountNotFound,
    CurrencyMismatch,
    InsufficientFunds,
    LedgerError,
    LimitExceeded,
    SameAccount,
)
from banking.core.ledger.movements import Limits
from banking.core.models import (
    Account,
    AccountStatus,
)
from banking.core.money import MAX_AMOUNT_MINOR, InvalidAmount, format_money

SOURCE_FIELD = "from_account"
DESTINATION_FIELD = "to_account"
AMOUNT_FIELD = "amount"

# Spelled out per role: "receiving"[:-3] once shipped as "cannot receiv money".
DAILY_WINDOW = timedelta(hours=24)  # the daily limit counts the last 24 hours, not the day

_ROLES = (("sending", "send", SOURCE_FIELD), ("receiving", "receive", DESTINATION_FIELD))


@dataclass(frozen=True)
class Decision:
    """The rule book's verdict: a refusal (nothing may move) or allowed, perhaps held."""

    refusal: LedgerError | None = None
    held: bool = False  # allowed, but reserved and held until the bank's team reviews it

    @property
    def allowed(self) -> bool:
        return self.refusal is None

    def raise_if_refused(self) -> Decision:
        if self.refusal is not None:
            raise self.refusal
        return self


def check_amount(amount: int) -> None:
    """Refuse an amount that is not a positive whole number of minor units within limits.

    Separate from `check_movement` because it needs no account: posting asks it before
    taking any lock, and `InvalidAmount` is a money error, not a ledger refusal.
    """
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise InvalidAmount("The amount must be a whole number of cents.")
    if amount <= 0 or amount > MAX_AMOUNT_MINOR:
        raise InvalidAmount("The amount must be more than zero and within limits.")


def check_movement(
    source: Account | None,
    destination: Account | None,
    amount: int,
    *,
    owner_id: int | None = None,
    limits: Limits | None = None,
    admin: bool = False,
    spent_24h: Callable[[], int] | None = None,
    standing_only: bool = False,
) -> Decision:
    """Decide whether `amount` may move from `source` to `destination`.

    `owner_id` scopes the source to one customer (anyone else's account is "not found",
    so accounts cannot be probed). `admin` corrections may touch frozen accounts and the
    bank's own books and skip customer limits. `spent_24h` is asked only when a daily
    limit applies (None: no daily limit for this movement, e.g. no initiator).
    `standing_only` skips what depends on the day the money moves (the 24-hour spend and
    the available funds): a new schedule is checked that way, its runs in full.
    """
    refusal = _account_refusal(source, destination, owner_id=owner_id, admin=admin)
    if refusal is not None:
        return Decision(refusal)
    assert source is not None  # for the type checker: a missing source was refused above
    customer_limits = limits if limits is not None and not admin else None
    per_transfer = customer_limits.per_transfer if customer_limits else None
    if per_transfer is not None and amount > per_transfer:
        # The limit itself is in the words: "over your limit" alone leaves a customer
        # guessing how much they may send.
        limit = format_money(per_transfer, source.currency)
        return Decision(
            LimitExceeded(
                f"That amount is over your per-transfer limit of {limit}.", field=AMOUNT_FIELD
            )
        )
    if not standing_only:  # a schedule's 24-hour spend and funds are checked at each run
        daily = customer_limits.daily if customer_limits else None
        if daily is not None and spent_24h is not None and spent_24h() + amount > daily:
            limit = format_money(daily, source.currency)
            return Decision(
                LimitExceeded(
                    f"That transfer would take you over your 24-hour limit of {limit}.",
                    field=AMOUNT_FIELD,
                )
            )
        if not source.is_system and source.available_balance - amount < -source.overdraft_limit:
            return Decision(InsufficientFunds(field=AMOUNT_FIELD))
    held = bool(
        customer_limits
        and customer_limits.review_threshold is not None
        and amount > customer_limits.review_threshold
    )
    return Decision(held=held)


def _account_refusal(
    source: Account | None, destination: Account | None, *, owner_id: int | None, admin: bool
) -> LedgerError | None:
    if source is None:
        return AccountNotFound(field=SOURCE_FIELD)
    if destination is None:
        return AccountNotFound(field=DESTINATION_FIELD)
    if owner_id is not None and source.owner_id != owner_id:
        return AccountNotFound(field=SOURCE_FIELD)
    if not admin and (source.is_system or destination.is_system):
        # The bank's own books are reached only through adjustments, never a customer transfer.
        field = SOURCE_FIELD if source.is_system else DESTINATION_FIELD
        return AccountNotFound(field=field)
    if source.id == destination.id:
        return SameAccount(field=DESTINATION_FIELD)
    if source.currency != destination.currency:
        return CurrencyMismatch(field=DESTINATION_FIELD)
    for account, (role, verb, field) in zip((source, destination), _ROLES, strict=True):
        if account.is_system:
            continue
        if account.status == AccountStatus.CLOSED.value:
            return AccountClosed(f"The {role} account is closed.", field=field)
        if account.status == AccountStatus.FROZEN.value and not admin:
            return AccountFrozen(
                f"The {role} account is frozen and cannot {verb} money.", field=field
            )
    return None


def check_capturable(source: Account, destination: Account) -> None:
    """Refuse to capture a hold unless both sides could still make this transfer today.

    A hold only reserves money; approving it is the moment the money moves, so the
    statuses that count are the ones under the lock now, not the ones at submission:
    an account frozen or closed while its transfer waited in the queue must neither
    send nor receive. Rejecting stays allowed (it only gives the reservation back).
    The wording addresses the reviewing admin, who can reject instead.
    """
    for account, (role, verb, field) in zip((source, destination), _ROLES, strict=True):
        if account.is_system or account.status == AccountStatus.ACTIVE.value:
            continue
        error = AccountClosed if account.status == AccountStatus.CLOSED.value else AccountFrozen
        raise error(
            f"The {role} account is {account.status} and can no longer {verb} money; "
            "reject the transfer instead.",
            field=field,
        )


def spent_last_24h(session: Session, user_id: int, now: datetime | None = None) -> int:
    """What a customer sent out in the 24 hours before `now` (default: the system clock),
    posted or still held. The query behind the daily limit: it lives with its rule.
    """
    since = (now or SYSTEM_CLOCK.now()) - DAILY_WINDOW
    return int(session.scalar(spent_since_query(user_id, since)) or 0)


def spent_since_query(user_id: Any, since: Any) -> Select[tuple[int]]:
    """The figure behind the daily limit: a customer's posted or held transfers since
    `since`. The ORM posting path and the previews run it (`spent_last_24h`); the
    PostgreSQL path computes the same figure inside its lock function
    (`lock_function.py`, held equal to `sent`'s by tests/core/test_ledger_lock_function.py).
    How it is counted (running totals, not a SUM of the day) is `sent`'s business.
    """
    return select(sent.spent_since(user_id, since))
