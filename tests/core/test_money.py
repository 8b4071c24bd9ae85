"""Parsing what people type into cents, and formatting cents for people to read."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from banking.core.money import (
    MAX_AMOUNT_MINOR,
    InvalidAmount,
    format_money,
    format_plain,
    format_signed,
    parse_amount,
    to_decimal,
)


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("25", 2500),
        ("25.5", 2550),
        ("25.50", 2550),
        ("0.01", 1),
        (" 7 ", 700),
        ("1,234.56", 123456),
        ("12,345", 1234500),
        ("1,234,567.8", 123456780),
        ("999,999.99", 99999999),
        ("10000000000", MAX_AMOUNT_MINOR),
    ],
)
def test_plain_amounts_parse_to_cents(text, cents):
    assert parse_amount(text) == cents


@pytest.mark.parametrize(
    "text",
    [
        "-5",
        "+5",
        "0",
        "0.00",
        "1e3",
        "1E3",
        "0.001",
        "99999999999999",
        "10000000000.01",
        "",
        None,
        "   ",
        "abc",
        "٣",
        "１２",
        "12.",
        ".5",
        "NaN",
        "Infinity",
        "5 5",
        "0x10",
        "1_000",
    ],
)
def test_odd_amounts_are_refused_with_a_message(text):
    with pytest.raises(InvalidAmount) as caught:
        parse_amount(text)
    assert caught.value.message


@pytest.mark.parametrize("text", ["1,50", "0,01", "1,5", "1.234,56", "12,34"])
def test_a_comma_before_cents_asks_for_a_dot(text):
    with pytest.raises(InvalidAmount, match="Use a dot for cents"):
        parse_amount(text)


@pytest.mark.parametrize(
    "text", ["1,2345", "12,34,567", "0,001", "1,,234", ",123", "1,234,", "1234,567", "1,234.5,6"]
)
def test_a_comma_that_does_not_separate_thousands_is_refused(text):
    with pytest.raises(InvalidAmount) as caught:
        parse_amount(text)
    assert "comma" in caught.value.message or "dot" in caught.value.message


def test_grouped_amount_with_three_decimals_explains_the_rule():
    with pytest.raises(InvalidAmount, match="two decimal places"):
        parse_amount("1,234.567")


def test_three_decimal_places_explain_the_rule():
    with pytest.raises(InvalidAmount, match="two decimal places"):
        parse_amount("1.005")


def test_a_caller_can_lower_the_maximum():
    with pytest.raises(InvalidAmount, match=r"at most 10\.00"):
        parse_amount("10.01", max_minor=1000)


@given(st.integers(min_value=1, max_value=MAX_AMOUNT_MINOR))
def test_plain_format_round_trips(cents):
    assert parse_amount(format_plain(cents)) == cents


def test_formats_for_people():
    assert format_money(123456, "USD", "en_US") == "$1,234.56"
    assert format_money(5, "EUR", "de_DE") == "0,05\xa0€"
    assert format_signed(500) == "+$5.00"
    assert format_signed(-500) == "−$5.00"
    assert format_plain(100) == "1.00"
    assert str(to_decimal(-1)) == "-0.01"


@pytest.mark.parametrize(
    ("cents", "text"),
    [(0, "0.00"), (1, "0.01"), (-1, "-0.01"), (-99, "-0.99"), (-100, "-1.00"), (123456, "1234.56")],
)
def test_plain_format_uses_a_dot_two_decimals_and_a_leading_minus(cents, text):
    assert format_plain(cents) == text


@given(st.integers(min_value=-MAX_AMOUNT_MINOR, max_value=MAX_AMOUNT_MINOR))
def test_plain_format_matches_the_decimal_rendering(cents):
    assert format_plain(cents) == f"{to_decimal(cents):f}"


@given(
    st.integers(min_value=-MAX_AMOUNT_MINOR, max_value=MAX_AMOUNT_MINOR),
    st.sampled_from(["USD", "EUR", "GBP", "CAD", "CHF"]),
    st.sampled_from(["en_US", "de_DE", "fr_CH", "en_IN", "ja_JP"]),
)
def test_cached_money_format_matches_babel(cents, currency, locale):
    from babel.numbers import format_currency

    assert format_money(cents, currency, locale) == format_currency(
        to_decimal(cents), currency, locale=locale
    )
