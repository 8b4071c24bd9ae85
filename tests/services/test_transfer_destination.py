"""The destination lookup that opens a transfer's transaction on PostgreSQL is sent as
text with its values written in (the simple query protocol has no parameters): only an
integer and ASCII digits may ever reach it."""

from __future__ import annotations

import pytest

from banking.services.transfers import _destination_literal


def test_the_lookup_carries_the_number_and_the_senders_id_as_written():
    sql = _destination_literal(7, "123456789012")
    assert sql.endswith("FROM accounts WHERE number = '123456789012'")
    assert "WHERE id = 7)" in sql


@pytest.mark.parametrize(
    "number",
    ["12345678901'", "1234 5678 9012", "١٢٣٤٥٦٧٨٩٠١٢", "12345678901²", "", "0x1234567890"],
)
def test_anything_but_ascii_digits_is_refused_before_it_reaches_the_sql(number):
    with pytest.raises(ValueError):
        _destination_literal(7, number)
