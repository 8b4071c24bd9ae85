"""BankingJsonFormatter's direct path writes exactly the line python-json-logger's own
path writes (banking/logging.py): the direct path exists only to be cheaper."""

from __future__ import annotations

import logging
import sys
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from banking.logging import BankingJsonFormatter


def record(msg="request", args=(), **extra) -> logging.LogRecord:
    made = logging.LogRecord("banking.access", logging.INFO, __file__, 10, msg, args, None)
    made.created = 1796180000.123456  # both paths must see the same instant
    for key, value in extra.items():
        setattr(made, key, value)
    return made


def library_line(formatter: BankingJsonFormatter, made: logging.LogRecord) -> str:
    return super(BankingJsonFormatter, formatter).format(made)


CASES = {
    "the access line": dict(
        method="GET",
        route="/accounts/<int:account_id>/history",
        status=200,
        duration_ms=1.23,
        user_id=None,
        remote_addr="127.0.0.1",
        request_id="abc-123",
    ),
    "no request id": dict(event="job", ok=True),
    "values the encoder converts": dict(
        when=datetime(2026, 12, 2, 3, 4, 5, tzinfo=UTC),
        day=date(2026, 12, 2),
        amount=Decimal("12.34"),
        ref=uuid.UUID(int=7),
        nested={"a": [1, 2, {"b": None}]},
        pair=(1, "two"),
        text="naïve ☃",
    ),
    "a private attribute is left out": dict(_hidden="x", shown="y"),
}


@pytest.mark.parametrize("extra", CASES.values(), ids=CASES.keys())
def test_the_direct_path_writes_the_librarys_line(extra):
    formatter = BankingJsonFormatter("%(message)s")
    assert formatter._plain  # else both sides would be the library's path
    assert formatter.format(record(**extra)) == library_line(formatter, record(**extra))


def test_a_message_with_arguments_is_the_same_line_both_ways():
    formatter = BankingJsonFormatter("%(message)s")
    made = {"msg": "moved %s cents to %s", "args": (150, "savings")}
    assert formatter.format(record(**made)) == library_line(formatter, record(**made))
    assert '"message": "moved 150 cents to savings"' in formatter.format(record(**made))


def test_a_record_with_an_exception_or_a_dict_message_takes_the_librarys_path():
    formatter = BankingJsonFormatter("%(message)s")
    try:
        raise ValueError("boom")
    except ValueError:
        failed = record(exc_info=sys.exc_info())
    line = formatter.format(failed)
    assert '"exc_info": "Traceback' in line
    as_dict = record(msg={"event": "dict message"})
    assert formatter.format(as_dict) == library_line(
        formatter, record(msg={"event": "dict message"})
    )


def test_another_configuration_takes_the_librarys_path():
    formatter = BankingJsonFormatter("%(message)s %(levelname)s", static_fields={"svc": "bank"})
    assert not formatter._plain
    line = formatter.format(record(status=200))
    assert '"svc": "bank"' in line and '"levelname"' not in line
