"""Public account numbers: random, unique, 12 digits ending in a Luhn check digit.

Never the database id and never sequential, so a number reveals nothing about how
many customers there are and a typo is caught before anything is looked up.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

NUMBER_LENGTH = 12


def luhn_check_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def is_valid_account_number(number: str) -> bool:
    return (
        len(number) == NUMBER_LENGTH
        and number.isascii()
        and number.isdigit()
        and luhn_check_digit(number[:-1]) == number[-1]
    )


def normalize_account_number(text: str | None) -> str:
    """Accept what people paste: spaces and dashes are dropped."""
    return "".join(ch for ch in (text or "") if ch not in " -").strip()


def new_account_number(session: Session) -> str:
    from banking.core.models import Account

    while True:
        body = str(secrets.randbelow(9 * 10 ** (NUMBER_LENGTH - 2)) + 10 ** (NUMBER_LENGTH - 2))
        number = body + luhn_check_digit(body)
        if session.scalar(select(Account.id).where(Account.number == number)) is None:
            return number
