"""Calendar months and "today", as the bank counts them.

One `Month` serves statements (days counted in the display timezone) and interest
(periods bounded in UTC): they used to be two classes (`statements.Month` and
`interest.Period`) that parsed and stepped months each in its own way. `local_today` is
the one answer to "what date is it for the customer": four modules used to work it out
themselves, and an unknown zone name crashed some of them but not others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from banking.core.errors import DomainError

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
FIRST_YEAR = 1970
# 9999-12 has no next month a `date` can hold (a statement links to the next month, and
# an interest period ends on the first instant of the next one).
LAST_YEAR = 9998

MALFORMED = "month_format"
OUT_OF_RANGE = "month_range"


class InvalidMonth(DomainError, ValueError):
    """A month that is not YYYY-MM between 1970-01 and 9998-12.

    `code` says which: MALFORMED text, or a month OUT_OF_RANGE, so a caller that words
    its own messages (the interest command) can still tell them apart.
    """

    code = MALFORMED
    field = "month"


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month: a statement's month, an interest period."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str | None) -> Month:
        match = _MONTH.match((text or "").strip())
        if not match:
            raise InvalidMonth("Enter the month as YYYY-MM, for example 2026-01.", code=MALFORMED)
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12 or not FIRST_YEAR <= year <= LAST_YEAR:
            raise InvalidMonth("Enter a real month, for example 2026-01.", code=OUT_OF_RANGE)
        return cls(year, month)

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.next().first_day.toordinal() - 1)

    @property
    def starts_at(self) -> datetime:
        """The first instant of the month in UTC (interest periods are UTC months)."""
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def ends_at(self) -> datetime:
        """The first instant of the next month in UTC (exclusive end)."""
        return self.next().starts_at

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def display_zone(tz: str | None) -> ZoneInfo:
    """The zone named `tz`; UTC for a missing or unknown name (a typo must not be a 500)."""
    try:
        return ZoneInfo(tz or "UTC")
    except (KeyError, ValueError):  # ZoneInfoNotFoundError is a KeyError
        return ZoneInfo("UTC")


def local_today(tz: str | None = "UTC", now: datetime | None = None) -> date:
    """Today's date in the display timezone `tz`, at `now` (default: the current instant).

    Customers count days in their zone: just after midnight in Sydney it is already
    tomorrow there, while UTC still says today.
    """
    return (now or datetime.now(UTC)).astimezone(display_zone(tz)).date()
