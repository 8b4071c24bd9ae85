"""Counting the SQL statements a piece of work sends (query-count tests)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import event

from banking.extensions import db


@contextmanager
def counting_queries(app: Flask, containing: str = "") -> Iterator[list[str]]:
    """Collects every statement sent on the app's engine inside the block, in order (only
    those whose SQL contains `containing`, when given)."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, _parameters, _context, _executemany):
        if containing in statement:
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)
