"""Interest arithmetic and period parsing: integers only, half-to-even, past months only."""

from datetime import UTC, datetime

import pytest

from banking.core.interest import InvalidPeriod, monthly_interest, parse_period
from banking.core.periods import Month

NOW = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)


def test_interest_is_balance_times_rate_over_twelve():
    # $1,200.00 at 1.50 % a year: 120000 * 150 / 120000 = 150 cents exactly.
    assert monthly_interest(120_000, 150) == 150


def test_interest_rounds_down_below_half_a_cent():
    # 100000 * 150 / 120000 = 125.0 ; 100001 * 150 / 120000 = 125.00125
    assert monthly_interest(100_001, 150) == 125


def test_interest_rounds_up_above_half_a_cent():
    # 100_400 * 150 / 120000 = 125.5 (tie) ; 100_401 -> 125.50125 rounds up
    assert monthly_interest(100_401, 150) == 126


@pytest.mark.parametrize(
    ("balance", "expected"),
    [
        (100_400, 126),  # 125.5 -> 126 (even)
        (101_200, 126),  # 126.5 -> 126 (even)
        (400, 0),  # 0.5 -> 0 (even)
        (1_200, 2),  # 1.5 -> 2 (even)
    ],
)
def test_exact_half_cents_round_to_even(balance, expected):
    assert monthly_interest(balance, 150) == expected


def test_small_balances_earn_nothing():
    assert monthly_interest(399, 150) == 0


def test_zero_and_negative_balances_earn_nothing():
    assert monthly_interest(0, 150) == 0
    assert monthly_interest(-50_000, 150) == 0


def test_zero_rate_pays_nothing():
    assert monthly_interest(10_000_000, 0) == 0


def test_huge_balances_stay_exact_integers():
    balance = 10_000_000_000 * 100  # the ledger's maximum amount, in cents
    assert monthly_interest(balance, 150) == balance * 150 // 120_000


def test_period_parses_a_past_month():
    period = parse_period("2024-05", now=NOW)
    assert period == Month(2024, 5)
    assert str(period) == "2024-05"
    assert period.starts_at == datetime(2024, 5, 1, tzinfo=UTC)
    assert period.ends_at == datetime(2024, 6, 1, tzinfo=UTC)


def test_december_ends_on_the_first_of_january():
    assert Month(2023, 12).ends_at == datetime(2024, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2024-5", "2024/05", "May 2024", "", "2024-13", "2024-00"])
def test_malformed_period_is_refused(text):
    with pytest.raises(InvalidPeriod):
        parse_period(text, now=NOW)


def test_current_month_is_refused_until_it_ends():
    with pytest.raises(InvalidPeriod, match="not ended"):
        parse_period("2024-06", now=NOW)


def test_future_month_is_refused():
    with pytest.raises(InvalidPeriod, match="not ended"):
        parse_period("2025-01", now=NOW)
