"""Account numbers: 12 digits, a Luhn check digit, forgiving about spaces and dashes."""

from __future__ import annotations

import pytest

from banking.core.account_numbers import (
    NUMBER_LENGTH,
    is_valid_account_number,
    luhn_check_digit,
    new_account_number,
    normalize_account_number,
)


def test_luhn_check_digit_matches_the_textbook_example():
    assert luhn_check_digit("7992739871") == "3"


def test_a_number_with_its_check_digit_is_valid():
    body = "12345678901"
    assert is_valid_account_number(body + luhn_check_digit(body))


@pytest.mark.parametrize(
    "number",
    ["", "123", "1234567890123", "12345678901a", "١٢٣٤٥٦٧٨٩٠١٢"],
)
def test_malformed_numbers_are_invalid(number):
    assert not is_valid_account_number(number)


def test_a_single_typo_is_caught_by_the_check_digit():
    body = "40012345678"
    number = body + luhn_check_digit(body)
    for position in range(NUMBER_LENGTH):
        for digit in "0123456789":
            if digit == number[position]:
                continue
            typo = number[:position] + digit + number[position + 1 :]
            assert not is_valid_account_number(typo)


def test_swapping_two_neighbouring_digits_is_caught():
    body = "40012345678"
    number = body + luhn_check_digit(body)
    swapped = number[1] + number[0] + number[2:]  # 4,0 -> 0,4
    assert not is_valid_account_number(swapped)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234 5678 9012", "123456789012"),
        ("1234-5678-9012", "123456789012"),
        ("  123456789012 ", "123456789012"),
        (None, ""),
    ],
)
def test_pasted_numbers_are_normalized(text, expected):
    assert normalize_account_number(text) == expected


def test_new_numbers_are_valid_and_unique(database):
    with database.session() as session:
        numbers = {new_account_number(session) for _ in range(50)}
    assert len(numbers) == 50
    assert all(is_valid_account_number(n) for n in numbers)
    assert all(not n.startswith("0") for n in numbers)
