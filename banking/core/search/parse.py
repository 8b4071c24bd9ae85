"""What a customer typed in the search box, as one of three kinds of query.

- an amount ("42.50", "$1,234", "42"): movements of exactly that size, in or out
  (|amount| == 4250). A whole number may also be words (the last 4 digits of an account,
  a memo "invoice 1234"), so it matches both ways;
- a day: ISO "2026-11-25" or the app's own date format ("Nov 25, 2026", also with the
  full month name): every movement on that day in the display timezone;
- otherwise words, matched in the memo and the counterparty as history shows it.

One term, not a query language: the box answers "where is that payment", and a grammar
of operators would be one more thing to get wrong and to explain.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from banking.core.money import InvalidAmount, parse_amount

MAX_QUERY_LENGTH = 100
MIN_TEXT_LENGTH = 2  # one letter matches nearly everything: a scan with nothing to show
_AMOUNT = re.compile(r"^[$€£]?\s*(\d[\d,]*(?:\.\d{1,2})?)$")
_DATE_FORMATS = ("%Y-%m-%d", "%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%B %d %Y")


class InvalidSearch(ValueError):
    """Something typed that cannot be searched for; `message` says what to type instead."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SearchQuery:
    """Exactly one of `amount` (minor units, unsigned) and `day` is set, or neither;
    `text` is set for words and for a whole-number amount (which may be words too)."""

    raw: str
    text: str | None = None
    amount: int | None = None
    day: date | None = None

    def describe(self) -> str:
        """What is being looked for, in words (the results heading)."""
        if self.day is not None:
            return f"movements on {self.day.isoformat()}"
        if self.amount is not None:
            return f"movements of {self.amount // 100}.{self.amount % 100:02d}"
        return f"“{self.text}”"


def _clean(raw: str) -> str:
    """NFKC-normalized, control characters dropped, whitespace collapsed."""
    words = unicodedata.normalize("NFKC", raw).split()  # tabs and newlines: spaces
    return " ".join(
        cleaned
        for word in words
        if (cleaned := "".join(ch for ch in word if unicodedata.category(ch)[0] != "C"))
    )


def _parse_day(text: str) -> date | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_query(raw: str | None) -> SearchQuery:
    """The query in `raw`, or InvalidSearch (empty, too long, too short)."""
    if raw is not None and len(raw) > MAX_QUERY_LENGTH * 4:
        raise InvalidSearch(f"Search for at most {MAX_QUERY_LENGTH} characters.")
    text = _clean(raw or "")
    if not text:
        raise InvalidSearch("Type a name, a memo, an amount like 42.50 or a date.")
    if len(text) > MAX_QUERY_LENGTH:
        raise InvalidSearch(f"Search for at most {MAX_QUERY_LENGTH} characters.")
    day = _parse_day(text)
    if day is not None:
        return SearchQuery(raw=text, day=day)
    if match := _AMOUNT.match(text):
        digits = match.group(1)
        try:
            amount = parse_amount(digits)
        except InvalidAmount:
            amount = None
        if amount is not None:
            whole = digits.isdigit()
            return SearchQuery(raw=text, amount=amount, text=digits if whole else None)
    if len(text) < MIN_TEXT_LENGTH:
        raise InvalidSearch(f"Type at least {MIN_TEXT_LENGTH} characters.")
    return SearchQuery(raw=text, text=text)
