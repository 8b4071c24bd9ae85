"""Framework-free announcements: the core says what happened, adapters decide what to do.

The core must not import prometheus_client (or anything above it), yet operators want to
count what happens inside it: postings, retries, failed sign-ins. So the core announces
plain events to listeners, and the app subscribes its counters once per process
(`banking.metrics.subscribe`); tests subscribe their own and unsubscribe after.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
E = TypeVar("E")


class Listeners(Generic[E]):
    """A thread-safe list of callables that each hear every announced event.

    Listeners run on the announcing thread, often between two steps of a money movement,
    so they must be quick and thread-safe (a Prometheus counter is both). One that raises
    is logged and ignored: a broken metric must never fail a customer's transfer.
    """

    def __init__(self, name: str) -> None:
        self.name = name  # says which announcement failed, in the log
        self._listeners: list[Callable[[E], None]] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Callable[[E], None]) -> Callable[[], None]:
        """Add `listener`; returns the function that removes it again."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def announce(self, event: E) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # see the class docstring: never fail the caller
                log.exception("%s listener failed", self.name)
