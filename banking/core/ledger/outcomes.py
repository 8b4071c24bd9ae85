"""What became of each movement asked of the ledger, announced to whoever is counting.

Operators watch the ledger by kind and outcome: how many transfers posted, how many were
held for review, how many were refused and why (the refusal's stable `code`, never its
message, never an id). The ledger announces a `PostingEvent` per request; the app counts
them (`banking.metrics`), tests listen with `on_posting`. No Prometheus here: the core
stays framework-free.

Counted once per request, after its retries: a replay (the same idempotency key again)
moves nothing and is not announced, and a held transfer's later capture or release is a
review decision, not a new request, so it is not counted again.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from banking.core.ledger.errors import LedgerError
from banking.core.ledger.movements import PostingResult
from banking.core.models import TransactionStatus
from banking.core.money import InvalidAmount
from banking.core.observers import Listeners


class Outcome(enum.StrEnum):
    POSTED = "posted"
    HELD = "held"  # allowed, reserved and awaiting the bank's review
    REFUSED = "refused"


@dataclass(frozen=True)
class PostingEvent:
    """One movement's fate: `kind` is a TransactionKind value, `reason` a refusal code."""

    kind: str
    outcome: Outcome
    reason: str = ""


PostingListener = Callable[[PostingEvent], None]
_listeners: Listeners[PostingEvent] = Listeners("ledger posting")

# InvalidAmount is a money error (a ValueError, no code): its reason is spelled here.
INVALID_AMOUNT = "invalid_amount"


def on_posting(listener: PostingListener) -> Callable[[], None]:
    """Call `listener` with every posting's outcome in this process; returns the unsubscribe.

    Listeners run on the posting thread after the commit (or the rollback), so they must be
    quick and thread-safe; one that raises is logged and ignored.
    """
    return _listeners.subscribe(listener)


def observed(kind: str, post: Callable[[], PostingResult]) -> PostingResult:
    """Run `post` (a whole posting, retries included) and announce what became of it."""
    try:
        result = post()
    except LedgerError as refusal:
        _listeners.announce(PostingEvent(kind, Outcome.REFUSED, refusal.code))
        raise
    except InvalidAmount:
        _listeners.announce(PostingEvent(kind, Outcome.REFUSED, INVALID_AMOUNT))
        raise
    if not result.replayed:
        held = result.status == TransactionStatus.PENDING.value
        _listeners.announce(PostingEvent(kind, Outcome.HELD if held else Outcome.POSTED))
    return result
