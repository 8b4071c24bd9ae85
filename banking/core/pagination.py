"""Keyset pagination: a cursor naming the last row seen, on (created_at, id), never OFFSET.

OFFSET makes the database walk every skipped row, and rows inserted while someone pages
shift what "page 3" means; a cursor naming the last row seen does neither. Customer
history and every admin list page this way, with this one cursor: they used to have a
class each, encoded differently, with different ideas of what a tampered token was.

The token is opaque to the person holding it but not secret (it names a row they have
just been shown): URL-safe base64 of "<microseconds since 1970>.<id>".
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from banking.core.models.base import as_utc

_TOKEN = re.compile(r"^(\d{1,19})\.(\d{1,19})$")
_MAX_TOKEN = 64
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_ID = 2**63 - 1  # BIGINT: a larger id would make the database refuse the parameter


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: strictly past the row (created_at, id) in page order."""

    created_at: datetime
    id: int

    def encode(self) -> str:
        micros = int((as_utc(self.created_at) - _EPOCH) / timedelta(microseconds=1))
        raw = f"{micros}.{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str | None) -> Cursor | None:
        """The cursor in `token`, or None for anything malformed, tampered or stale.

        None means "show the first page": a bad cursor is never worth an error page.
        """
        if not token or len(token) > _MAX_TOKEN:
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        match = _TOKEN.match(raw)
        if not match:
            return None
        try:
            created_at = _EPOCH + timedelta(microseconds=int(match.group(1)))
        except OverflowError:
            return None
        row_id = int(match.group(2))
        if row_id > _MAX_ID:
            return None
        return cls(created_at=created_at, id=row_id)
