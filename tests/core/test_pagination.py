"""One keyset cursor for customer history and the admin lists: round trip and tampering."""

import base64
from datetime import UTC, datetime, timedelta

import pytest

from banking.core import history
from banking.core.pagination import Cursor

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _token(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def test_history_pages_with_the_core_cursor():
    # (tests/services/test_admin_pagination.py checks the admin lists use it too.)
    assert history.Cursor is Cursor


def test_a_cursor_survives_its_round_trip_to_the_microsecond():
    cursor = Cursor(T0 + timedelta(microseconds=17), 2**63 - 1)
    assert Cursor.decode(cursor.encode()) == cursor


def test_a_naive_time_is_read_as_utc():
    # SQLite hands back naive UTC timestamps; the token must not depend on the driver.
    assert Cursor(T0.replace(tzinfo=None), 5).encode() == Cursor(T0, 5).encode()


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        "not base64 at all!",
        _token("12.x"),
        _token("-5.3"),
        _token(f"1.{2**63}"),  # beyond BIGINT: the database would refuse it
        _token(f"{10**19 - 1}.1"),  # beyond the last datetime
        "A" * 65,
        _token("2026-01-02T03:04:05+00:00|7"),  # the admin lists' old format: page 1
    ],
)
def test_a_malformed_or_tampered_token_means_the_first_page(token):
    assert Cursor.decode(token) is None
