"""Retrying a posting that lost a database race, and telling observers that it did.

PostgreSQL kills one side of a deadlock (40P01) or a serialization conflict (40001);
SQLite answers "database is locked" when its busy timeout runs out. None of these means
the movement is wrong, so the whole database transaction is rolled back and run again
after a short random wait (jitter spreads the racers apart), up to `max_retries` times;
then `RetriesExhausted` says "nothing moved, try again".

How often that happens is an operations signal, so each retry is announced to the
listeners subscribed with `on_retry` (a metrics counter, a test's `RetryCounter`).
The ledger keeps no count of its own: a global number could only be read, never
labelled, reset per test or exported.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from banking.core.ledger.errors import RetriesExhausted
from banking.core.observers import Listeners

log = logging.getLogger(__name__)
T = TypeVar("T")

DEADLOCK = "40P01"
SERIALIZATION_FAILURE = "40001"
RETRYABLE_SQLSTATES = {DEADLOCK, SERIALIZATION_FAILURE}


@dataclass(frozen=True)
class RetryEvent:
    """One retry about to happen: `attempt` is 1 for the first retry, `reason` a label."""

    attempt: int
    reason: str  # "deadlock", "serialization_failure" or "database_locked"


RetryListener = Callable[[RetryEvent], None]
_listeners: Listeners[RetryEvent] = Listeners("ledger retry")


def on_retry(listener: RetryListener) -> Callable[[], None]:
    """Call `listener` on every ledger retry in this process; returns the unsubscribe function.

    Listeners run on the posting thread between two attempts, with no lock held, so they
    must be quick and thread-safe (a Prometheus counter is both). One that raises is
    logged and ignored: a broken metric must never fail a customer's transfer.
    """
    return _listeners.subscribe(listener)


class RetryCounter:
    """A listener that counts the retries it sees, in total and by reason (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_reason: Counter[str] = Counter()

    def __call__(self, event: RetryEvent) -> None:
        with self._lock:
            self.by_reason[event.reason] += 1

    @property
    def retries(self) -> int:
        with self._lock:
            return sum(self.by_reason.values())


@contextmanager
def counting_retries() -> Iterator[RetryCounter]:
    """Count the retries (of every thread in this process) posted inside the block."""
    counter = RetryCounter()
    unsubscribe = on_retry(counter)
    try:
        yield counter
    finally:
        unsubscribe()


def retry_reason(exc: DBAPIError) -> str | None:
    """The label of a retryable database error, or None if retrying would not help."""
    if isinstance(exc, IntegrityError):
        return None  # a unique key or a CHECK: the same attempt would fail the same way
    orig = getattr(exc, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate == DEADLOCK:
        return "deadlock"
    if sqlstate == SERIALIZATION_FAILURE:
        return "serialization_failure"
    if "database is locked" in str(orig):
        return "database_locked"
    return None


def with_retries(session: Session, attempt: Callable[[], T], max_retries: int) -> T:
    """Run `attempt` (one whole database transaction) until it is not beaten by a race.

    This loop is why the ledger owns its transactions: a retry must start from a clean
    session, so every failed attempt is rolled back here before the next one begins.
    """
    for number in range(max_retries + 1):
        try:
            return attempt()
        except DBAPIError as exc:
            session.rollback()
            reason = retry_reason(exc)
            if reason is None:
                raise
            if number == max_retries:
                raise RetriesExhausted() from exc
            log.warning("ledger retry", extra={"attempt": number + 1, "reason": reason})
            _announce(RetryEvent(attempt=number + 1, reason=reason))
            time.sleep(random.uniform(0, 0.01 * (2**number)))  # noqa: S311 - jitter, not crypto
    raise RetriesExhausted()  # pragma: no cover


def _announce(event: RetryEvent) -> None:
    _listeners.announce(event)  # see on_retry: a broken metric never fails a posting
