"""What a posting is asked to do and what it answers: limits, the movement, the result."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from banking.core.models import Account, JournalTransaction

Hook = Callable[[Session, JournalTransaction], None]
AccountHook = Callable[[Session, Account], None]

# Key in Session.info: the owner ids whose balances a posting changed without an ORM flush
# (the PostgreSQL path writes with one SQL statement). Whoever caches per owner reads it
# after the commit (banking.caching); the core does not know who that is.
TOUCHED_OWNERS = "banking.ledger.touched_owners"


@dataclass(frozen=True)
class Limits:
    """Customer limits in minor units; None means no limit of that kind."""

    per_transfer: int | None = None
    daily: int | None = None
    review_threshold: int | None = None
    hold_days: int = 7


@dataclass(frozen=True)
class PostingResult:
    transaction_id: int
    status: str
    amount: int
    replayed: bool = False
    balances: dict[int, int] = field(default_factory=dict)
    available: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Movement:
    """One requested movement, as `posting._execute` receives it (internal to the package)."""

    kind: str
    source_id: int
    destination_id: int
    amount: int
    key: str
    initiator_id: int | None
    memo: str = ""
    owner_id: int | None = None  # when set, the source must belong to this user
    limits: Limits | None = None
    admin: bool = False  # admin corrections may touch frozen accounts, skip customer limits
    reverses_id: int | None = None

    @property
    def scoped_key(self) -> str:
        return f"{self.initiator_id if self.initiator_id is not None else 'system'}:{self.key}"

    @property
    def fingerprint(self) -> str:
        parts = (self.kind, self.source_id, self.destination_id, self.amount, self.reverses_id)
        text = "|".join(str(part) for part in parts)
        return hashlib.sha256(text.encode()).hexdigest()
