"""Keyset pagination on (created_at, id): every admin list pages this way, never by OFFSET.

OFFSET makes the database walk every skipped row, and rows inserted while someone pages
shift what "page 3" means; a cursor naming the last row seen does neither.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import Select, and_, or_

from banking.core.models.base import as_utc

DEFAULT_PAGE_SIZE = 25


@dataclass(frozen=True)
class Cursor:
    created_at: datetime
    id: int

    def encode(self) -> str:
        raw = f"{as_utc(self.created_at).isoformat()}|{self.id}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str | None) -> Cursor | None:
        """A tampered or stale cursor is simply the first page, never an error."""
        if not token or len(token) > 200:
            return None
        try:
            padded = token + "=" * (-len(token) % 4)
            stamp, _, ident = base64.urlsafe_b64decode(padded).decode().partition("|")
            return cls(as_utc(datetime.fromisoformat(stamp)), int(ident))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None


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
