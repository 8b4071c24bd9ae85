"""The search page: the header's search box lands here (GET /search?q=...).

Customers only (an admin has no accounts). Bad input is a 400 page with the message and
the box to try again; a cursor that does not parse means the first page (as in history).
"""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import current_user

from banking.core.pagination import Cursor
from banking.core.search import MAX_QUERY_LENGTH, InvalidSearch, parse_query
from banking.services import search as reads
from banking.web.accounts import bp
from banking.web.guards import customer_required


@bp.get("/search")
@customer_required
def search():
    raw = request.args.get("q")
    if raw is None:  # the page itself, from the header's icon on a phone
        return render_template("accounts/search.html", q="", query=None, page=None, error=None)
    cursor = Cursor.decode(request.args.get("cursor"))
    try:
        query = parse_query(raw)
    except InvalidSearch as exc:
        return render_template(
            "accounts/search.html",
            q=raw[:MAX_QUERY_LENGTH],
            query=None,
            page=None,
            error=exc.message,
        ), 400
    tz = current_app.config.get("DISPLAY_TIMEZONE", "UTC")
    page = reads.search_page(current_user.id, query, cursor=cursor, tz=tz)
    return render_template(
        "accounts/search.html",
        q=query.raw,
        query=query,
        page=page,
        error=None,
        first_page=cursor is None,
    )
