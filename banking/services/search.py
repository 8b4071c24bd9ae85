"""Search across the signed-in customer's accounts, on the app's session.

The core (`banking.core.search`) scopes every read to `user_id`'s own accounts; the
caller passes the signed-in user's id, never one taken from the request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from banking.core import search as core_search
from banking.extensions import db
from banking.services.categories import overrides_for

if TYPE_CHECKING:
    from banking.core.pagination import Cursor
    from banking.core.search import SearchPage, SearchQuery


def search_page(user_id: int, query: SearchQuery, *, cursor: Cursor | None, tz: str) -> SearchPage:
    """One page of the customer's movements matching `query`, newest first."""
    return core_search.search_page(
        db.session, user_id, query, cursor=cursor, tz=tz, overrides=overrides_for(user_id)
    )
