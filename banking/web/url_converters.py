"""URL converters bounded to what the database can hold.

Every id in a URL is a primary key of a BIGINT (or INTEGER) column. Werkzeug's `int`
converter takes any number of digits, so `/accounts/99999999999999999999/settings`
reached PostgreSQL, which refused the parameter (`DataError`) and the customer saw a
500. An id past the largest BIGINT cannot name a row: it is a 404 like any other id
that is not theirs, decided before a query is made.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

MAX_ID = 2**63 - 1  # PostgreSQL BIGINT (and SQLite INTEGER) maximum


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` that matches only 0 .. 2**63-1 unless a rule asks for other bounds."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Must run before any rule is added: rules bind their converter when registered."""
    app.url_map.converters["int"] = BoundedIntegerConverter
