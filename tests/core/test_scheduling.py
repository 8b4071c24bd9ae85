"""Next-run dates for one-off, weekly and monthly schedules, with end dates and resumes."""

from __future__ import annotations

from datetime import date

import pytest

from banking.core.models import ScheduledTransfer
from banking.core.scheduling import (
    LAST_DAY,
    describe,
    first_run,
    first_run_on_or_after,
    following_run,
    monthly_date,
    next_run_after,
    occurrence_key,
)


def schedule(frequency: str, next_run_on: date, *, day=None, end_on=None) -> ScheduledTransfer:
    return ScheduledTransfer(
        frequency=frequency, next_run_on=next_run_on, day_of_month=day, end_on=end_on
    )


def test_one_off_runs_on_its_date_and_then_never():
    once = schedule("once", date(2026, 5, 4))
    assert first_run("once", date(2026, 5, 4)) == date(2026, 5, 4)
    assert next_run_after(once, date(2026, 5, 4)) is None


def test_weekly_runs_every_seven_days():
    assert following_run("weekly", date(2026, 12, 28)) == date(2027, 1, 4)


@pytest.mark.parametrize(
    ("start", "day", "expected"),
    [
        (date(2026, 1, 10), 15, date(2026, 1, 15)),  # later this month
        (date(2026, 1, 20), 15, date(2026, 2, 15)),  # already past: next month
        (date(2026, 12, 20), 1, date(2027, 1, 1)),  # across the year
        (date(2026, 2, 3), LAST_DAY, date(2026, 2, 28)),
    ],
)
def test_monthly_first_run(start, day, expected):
    assert first_run("monthly", start, day) == expected


def test_last_day_of_month_follows_each_months_length():
    runs = [date(2026, 1, 31)]
    for _ in range(4):
        runs.append(following_run("monthly", runs[-1], LAST_DAY))
    assert runs == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
    ]


def test_leap_february_gets_the_29th():
    assert monthly_date(2028, 2, LAST_DAY) == date(2028, 2, 29)


def test_monthly_day_does_not_drift_after_a_short_month():
    assert following_run("monthly", date(2026, 2, 28), 28) == date(2026, 3, 28)
    assert following_run("monthly", date(2026, 2, 28), LAST_DAY) == date(2026, 3, 31)


def test_end_date_stops_the_schedule():
    weekly = schedule("weekly", date(2026, 5, 1), end_on=date(2026, 5, 14))
    assert next_run_after(weekly, date(2026, 5, 1)) == date(2026, 5, 8)
    assert next_run_after(weekly, date(2026, 5, 8)) is None


def test_end_date_on_an_occurrence_includes_it():
    weekly = schedule("weekly", date(2026, 5, 1), end_on=date(2026, 5, 8))
    assert next_run_after(weekly, date(2026, 5, 1)) == date(2026, 5, 8)


def test_resume_skips_what_was_missed_while_paused():
    monthly = schedule("monthly", date(2026, 1, 5), day=5)
    assert first_run_on_or_after(monthly, date(2026, 3, 10)) == date(2026, 4, 5)
    assert first_run_on_or_after(monthly, date(2026, 3, 5)) == date(2026, 3, 5)


def test_resume_past_the_end_finishes_the_schedule():
    weekly = schedule("weekly", date(2026, 1, 1), end_on=date(2026, 1, 20))
    assert first_run_on_or_after(weekly, date(2026, 2, 1)) is None


def test_resumed_one_off_in_the_past_runs_today():
    once = schedule("once", date(2026, 1, 1))
    assert first_run_on_or_after(once, date(2026, 2, 1)) == date(2026, 2, 1)


def test_descriptions():
    assert describe(schedule("monthly", date(2026, 1, 1), day=LAST_DAY)) == (
        "Every month on the last day"
    )
    assert describe(schedule("monthly", date(2026, 1, 1), day=3)) == "Every month on day 3"
    assert describe(schedule("weekly", date(2026, 1, 1))) == "Every week"


def test_occurrence_key_names_the_schedule_and_date():
    assert occurrence_key(7, date(2026, 3, 1)) == "schedule:7:2026-03-01"
