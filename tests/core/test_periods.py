"""One Month for statements and interest, and one "today in the display timezone"."""

from datetime import UTC, date, datetime

import pytest

from banking.core import interest, statements
from banking.core.periods import (
    MALFORMED,
    OUT_OF_RANGE,
    InvalidMonth,
    Month,
    display_zone,
    local_today,
)


def test_statements_and_interest_share_the_one_month():
    assert statements.Month is Month
    assert statements.InvalidMonth is InvalidMonth
    assert interest.parse_period("2024-05", now=datetime(2024, 7, 1, tzinfo=UTC)) == Month(2024, 5)
    assert issubclass(interest.InvalidPeriod, InvalidMonth)


def test_month_steps_across_years_and_knows_its_bounds():
    assert Month.parse(" 2026-12 ").next() == Month(2027, 1)
    assert Month(2026, 1).previous() == Month(2025, 12)
    assert Month(2024, 2).last_day == date(2024, 2, 29)
    assert Month(2023, 12).ends_at == datetime(2024, 1, 1, tzinfo=UTC)
    assert Month.of(date(2026, 3, 31)) == Month(2026, 3)
    assert Month(2025, 12) < Month(2026, 1)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2026-1", MALFORMED),
        ("May", MALFORMED),
        (None, MALFORMED),
        ("2026-13", OUT_OF_RANGE),
        ("1969-12", OUT_OF_RANGE),
        ("9999-12", OUT_OF_RANGE),  # no next month a date can hold
    ],
)
def test_a_month_that_does_not_parse_says_why(text, code):
    with pytest.raises(InvalidMonth) as caught:
        Month.parse(text)
    assert caught.value.code == code
    assert caught.value.field == "month"


def test_interest_keeps_the_operator_wording_and_refuses_year_9999():
    now = datetime(2024, 7, 1, tzinfo=UTC)
    with pytest.raises(interest.InvalidPeriod, match="YYYY-MM"):
        interest.parse_period("May", now=now)
    with pytest.raises(interest.InvalidPeriod, match="not a valid month"):
        interest.parse_period("9999-12", now=now)  # used to overflow datetime


def test_local_today_counts_days_in_the_display_timezone():
    late_utc = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)
    assert local_today("UTC", late_utc) == date(2026, 1, 31)
    assert local_today("Australia/Sydney", late_utc) == date(2026, 2, 1)
    assert local_today("America/New_York", late_utc) == date(2026, 1, 31)


def test_an_unknown_zone_counts_as_utc_instead_of_failing():
    assert display_zone("Mars/Olympus_Mons").key == "UTC"
    assert display_zone(None).key == "UTC"
    assert local_today("Nowhere/Nothing", datetime(2026, 1, 31, 23, 30, tzinfo=UTC)) == date(
        2026, 1, 31
    )
