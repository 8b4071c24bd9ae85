"""Keyset pagination of the admin lists, on (created_at, id), never by OFFSET.

The cursor is the core's (`banking.core.pagination.Cursor`, shared with customer
history); this module adds the admin's page size and the query for one page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import Select, and_, or_

from banking.core.pagination import Cursor

DEFAULT_PAGE_SIZE = 25


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


def page_size() -> int:
    return max(1, int(current_app.config.get("ADMIN_PAGE_SIZE", DEFAULT_PAGE_SIZE)))


def paginate(
    session,
    query: Select,
    model,
    cursor_token: str | None,
    *,
    newest_first: bool = True,
    time_column: str = "created_at",
    size: int | None = None,
) -> Page:
    """Run `query` (already filtered) for one page after `cursor_token`."""
    size = size or page_size()
    created, ident = getattr(model, time_column), model.id
    cursor = Cursor.decode(cursor_token)
    if cursor is not None:
        stamp = cursor.created_at
        if session.get_bind().dialect.name == "sqlite":
            stamp = stamp.replace(tzinfo=None)  # SQLite stores naive UTC text
        if newest_first:
            query = query.where(or_(created < stamp, and_(created == stamp, ident < cursor.id)))
        else:
            query = query.where(or_(created > stamp, and_(created == stamp, ident > cursor.id)))
    order = (created.desc(), ident.desc()) if newest_first else (created.asc(), ident.asc())
    rows = list(session.scalars(query.order_by(*order).limit(size + 1)).unique())
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = Cursor(getattr(last, time_column), last.id).encode()
    return Page(rows, next_cursor)
