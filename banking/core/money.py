"""Money at the edges: parsing what people type and formatting what they read.

Inside the app an amount is always an `int` of minor units (cents). `Decimal`
appears only here, between a form field and that integer.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale
from babel.numbers import NumberPattern

SUPPORTED_CURRENCIES = ("USD", "EUR", "GBP", "CAD", "CHF")
MINOR_UNITS = 100  # every supported currency has two decimal places
# Ten billion in major units: far beyond any real customer amount, far inside BigInteger.
MAX_AMOUNT_MINOR = 10_000_000_000 * MINOR_UNITS
_PLAIN_AMOUNT = re.compile(r"^\d{1,15}(\.\d{1,2})?$")
# Commas only as thousands separators: a first group of 1-3 digits (not starting with 0),
# then groups of exactly three, then optional cents after a dot.
_GROUPED_AMOUNT = re.compile(r"^[1-9]\d{0,2}(,\d{3})+(\.\d+)?$")
_DECIMAL_COMMA = re.compile(r",\d{1,2}$")


class InvalidAmount(ValueError):
    """An amount a person typed that is not a positive, plain, two-decimal number."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_amount(text: str | None, *, max_minor: int = MAX_AMOUNT_MINOR) -> int:
    """Turn "1,234.50" into 123450; refuse anything a careful teller would refuse.

    A comma is accepted only where it separates thousands ("1,234.56", "12,345"). Many
    people write cents after a comma ("1,50"); dropping every comma would turn that into
    150.00 (a hundred times what they meant), so anything else with a comma is refused.
    """
    raw = _without_thousands_separators((text or "").strip())
    if not raw:
        raise InvalidAmount("Enter an amount.")
    if raw.startswith(("-", "+")):
        raise InvalidAmount("Enter the amount without a sign.")
    if not raw.isascii() or not _PLAIN_AMOUNT.match(raw):
        if re.match(r"^\d+\.\d{3,}$", raw):
            raise InvalidAmount("Amounts can have at most two decimal places.")
        raise InvalidAmount("Enter a number like 25 or 25.50.")
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:  # pragma: no cover - the pattern already guards this
        raise InvalidAmount("Enter a number like 25 or 25.50.") from exc
    minor = int(value * MINOR_UNITS)
    if minor <= 0:
        raise InvalidAmount("The amount must be more than zero.")
    if minor > max_minor:
        raise InvalidAmount(f"The amount can be at most {format_plain(max_minor)}.")
    return minor


def _without_thousands_separators(raw: str) -> str:
    """`raw` with its grouping commas removed, or InvalidAmount if a comma is misplaced."""
    if "," not in raw:
        return raw
    if not _GROUPED_AMOUNT.match(raw):
        if _DECIMAL_COMMA.search(raw):
            raise InvalidAmount("Use a dot for cents, e.g. 1.50 (not 1,50).")
        raise InvalidAmount("Use commas only between thousands, e.g. 1,234.56.")
    return raw.replace(",", "")


def to_decimal(minor: int) -> Decimal:
    return (Decimal(minor) / MINOR_UNITS).quantize(Decimal("0.01"))


def format_plain(minor: int) -> str:
    """ "1234.50" — for CSV files and form fields, no symbol, no grouping.

    Integer arithmetic only: an export formats millions of amounts, and going through
    `Decimal` cost more than everything else per row. Same text as `f"{to_decimal(m):f}"`.
    """
    if minor < 0:
        minor = -minor
        return f"-{minor // MINOR_UNITS}.{minor % MINOR_UNITS:02d}"
    return f"{minor // MINOR_UNITS}.{minor % MINOR_UNITS:02d}"


@lru_cache(maxsize=64)
def _currency_pattern(locale: str) -> tuple[Locale, NumberPattern]:
    """The parsed locale and its standard currency pattern, looked up once per locale.

    `babel.numbers.format_currency` parses the locale and fetches the pattern on every
    call; a dashboard formats over a hundred amounts per page.
    """
    parsed = Locale.parse(locale)
    return parsed, parsed.currency_formats["standard"]


@lru_cache(maxsize=8192)
def format_money(minor: int, currency: str = "USD", locale: str = "en_US") -> str:
    """ "$1,234.50" in the reader's locale.

    Exactly what `babel.numbers.format_currency(to_decimal(minor), currency, locale=locale)`
    returns, memoized: a pure function of an int and two short strings, and the same
    balances and totals are formatted again on every page view.
    """
    parsed, pattern = _currency_pattern(locale)
    return pattern.apply(
        to_decimal(minor),
        parsed,
        currency=currency,
        currency_digits=True,
        decimal_quantization=True,
        group_separator=True,
        numbering_system="latn",
    )


def format_signed(minor: int, currency: str = "USD", locale: str = "en_US") -> str:
    """ "+$5.00" / "−$5.00": history shows direction in text, not colour alone."""
    sign = "+" if minor > 0 else "−" if minor < 0 else ""
    return sign + format_money(abs(minor), currency, locale)
