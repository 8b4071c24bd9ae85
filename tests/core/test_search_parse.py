"""What the search box understands: an amount, a day, or words (no Flask, no database)."""

from __future__ import annotations

from datetime import date

import pytest

from banking.core.search import InvalidSearch, parse_query


@pytest.mark.parametrize(
    ("typed", "minor"),
    [("42.50", 4250), ("$42.50", 4250), ("1,234.5", 123450), (" 0.99 ", 99), ("€7.05", 705)],
)
def test_an_amount_matches_that_many_minor_units(typed, minor):
    query = parse_query(typed)
    assert query.amount == minor
    assert query.text is None and query.day is None


def test_a_whole_number_is_an_amount_and_also_words():
    """'1234' may be 1,234.00 or the last 4 digits of an account: both are searched."""
    query = parse_query("1234")
    assert query.amount == 123400
    assert query.text == "1234"


@pytest.mark.parametrize(
    "typed", ["2026-11-25", "Nov 25, 2026", "November 25, 2026", "nov 25 2026"]
)
def test_a_date_in_iso_or_the_apps_format_is_a_day(typed):
    query = parse_query(typed)
    assert query.day == date(2026, 11, 25)
    assert query.amount is None and query.text is None


@pytest.mark.parametrize(
    ("typed", "text"),
    [
        ("Blue Bottle", "Blue Bottle"),
        ("  rent\t\nshare ", "rent share"),  # whitespace collapsed
        ("caf\u00e9", "café"),
        ("ｃｏｆｆｅｅ", "coffee"),  # full-width letters normalized (NFKC)
        ("50%", "50%"),  # wildcards stay literal in the query (escaped in SQL)
        ("2026-13-45", "2026-13-45"),  # not a day: words
        ("1,50", "1,50"),  # not an amount we accept: words
        ("0", None),
    ],
)
def test_anything_else_is_words(typed, text):
    if text is None:
        with pytest.raises(InvalidSearch):
            parse_query(typed)
        return
    query = parse_query(typed)
    assert query.text == text
    assert query.amount is None and query.day is None


@pytest.mark.parametrize("typed", [None, "", "   ", "\x00\x07", "a", "x" * 101, "y" * 5000])
def test_empty_too_short_or_too_long_is_refused_with_a_message(typed):
    with pytest.raises(InvalidSearch) as error:
        parse_query(typed)
    assert error.value.message


def test_control_characters_are_dropped():
    assert parse_query("rent\x00 share\u200b").text == "rent share"
