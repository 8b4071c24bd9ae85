"""The admin lists page with the core's keyset cursor, the one customer history uses."""

from banking.core.pagination import Cursor
from banking.services.admin import pagination


def test_the_admin_lists_use_the_one_core_cursor():
    assert pagination.Cursor is Cursor
