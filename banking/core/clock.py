"""Where "now" comes from: passed in as an argument, never read from a module global.

Postings stamp their rows with `clock.now()`, read *under the row locks*, so a movement
that waited for a lock is stamped when it really happened (the 24-hour limit window and
"balance at the end of the month" both read those stamps). A caller that needs another
time passes another clock: the demo seeder dates its history in the past with a
`FixedClock`, tests freeze time the same way, and a web request simply uses the default
`SYSTEM_CLOCK`. Nothing process-wide is ever switched, so one request can never stamp
another's rows with a borrowed time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that can tell the current time as a timezone-aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """Always the same moment (until `advance`d): seeding history and tests."""

    moment: datetime

    def __post_init__(self) -> None:
        # Stored times are all aware UTC; a naive moment would only fail later, deep in a
        # comparison inside a posting, so refuse it where the mistake is made.
        if self.moment.tzinfo is None:
            raise ValueError("A fixed clock needs a moment with a time zone.")

    def now(self) -> datetime:
        return self.moment

    def advance(self, delta: timedelta) -> None:
        self.moment += delta


SYSTEM_CLOCK: Clock = SystemClock()
