"""Whole signed-in pages cached per customer: the pages customers open most, served
from one Redis round trip.

The dashboard, an account's first history page and the two transfer forms are opened
far more often than anything on them changes, and rendering them (the layout, ~25
formatted rows, a WTForms form with the customer's accounts) costs several times what
the rest of the request does. So the finished HTML of a plain GET (no query string, no
flashed message waiting) is kept per user, per page, per local day:

- **Never another customer's page.** The key holds the user id of the signed-in
  session (`user:<id>:page:…`), and the entry is only read after `load_user` has
  accepted that session; an admin never reaches these views (`customer_required`).
- **Never a stale page.** An entry records the two versions it was rendered under, read
  in the same MGET as the user *before* rendering: the user row's (`banking.user_cache`,
  bumped by any change to the users row: name, two-factor, sign-out everywhere) and the
  user's money data (`banking.caching.DATA_VERSION`, bumped after every commit that
  changes what their pages show: a movement, an account opened, renamed or frozen, a
  payee added, renamed or deleted, a scheduled transfer created, paused or run). A
  commit that lands while a page renders bumps a counter the entry already disagrees
  with, so a late store cannot bring old numbers back. Entries also expire
  (DASHBOARD_CACHE_SECONDS) and "Today" is in the key.
- **Never a replayed token.** What must differ per response is replaced before storing
  and filled in fresh on every hit: the session's CSRF token, and each transfer form's
  idempotency key (a cached form with a reused key would answer a second, different
  transfer as a replay of the first).

A cache that is off or failing only means every page is rendered, as before.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from flask import Response, current_app, g, has_request_context, request, session

from banking import metrics
from banking.caching import DATA_VERSION, user_key
from banking.extensions import cache

log = logging.getLogger(__name__)

# The endpoints whose views are wrapped in `cached_page` (their plain GETs are prefetched
# with the user by `banking.web.sessions.load_user`).
CACHED_ENDPOINTS = frozenset(
    {"accounts.dashboard", "accounts.history", "accounts.transfer_pay", "accounts.transfer_own"}
)
CSRF_MARK = "\x00csrf-token\x00"
KEY_MARK = "\x00idempotency-key\x00"
# Entries keep the page as UTF-8 bytes: a hit fills the marks in with bytes.replace and
# hands the bytes to the response, instead of encoding ~30 KB of text on every hit.
_CSRF_MARK = CSRF_MARK.encode()
_KEY_MARK = KEY_MARK.encode()
_VOLATILE = "page_cache_volatile"  # key in g: the idempotency keys this response carries
_ENTRY = "page_cache_entry"  # key in g: (key, entry or None, user version, data version)


def page_key(user_id: int) -> str | None:
    """The signed-in user's entry for this request, or None if it is not cacheable."""
    req = request._get_current_object()  # once: it is read on every signed-in request
    endpoint = req.endpoint
    if req.method != "GET" or req.args or endpoint not in CACHED_ENDPOINTS:
        return None
    args = ",".join(f"{k}={v}" for k, v in sorted((req.view_args or {}).items()))
    zone = ZoneInfo(current_app.config.get("DISPLAY_TIMEZONE", "UTC"))
    today = datetime.now(zone).date().isoformat()
    # The script root (a proxy's path prefix) is in every link of the page.
    # "pageb": entries hold bytes since this name; during a rolling deploy, servers of the
    # text era (key "page") and of this one never read each other's entries.
    return user_key(f"pageb:{endpoint}:{args}:{today}:{req.script_root}", user_id)


def data_version_key(user_id: int) -> str:
    return user_key(DATA_VERSION, user_id)


def remember(key: str, entry: Any, user_version: int | None, data_version: Any) -> None:
    """What `load_user` read for this request's page (called by it, once per request)."""
    g.setdefault(_ENTRY, (key, entry, user_version, data_version))


def forget() -> None:
    """Drop what `remember` kept: the request is not the signed-in user it was read for."""
    g.pop(_ENTRY, None)


def new_idempotency_key() -> str:
    """A fresh key for one transfer form, noted so that a cached page never carries it."""
    value = str(uuid4())
    if has_request_context():
        g.setdefault(_VOLATILE, []).append(value)
    return value


def cached_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """Serve the view's plain GET from the user's cached page, or render and store it."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        found = g.pop(_ENTRY, None)
        if found is None or "_flashes" in session:
            return view(*args, **kwargs)
        key, entry, user_version, data_version = found
        data_version = data_version if isinstance(data_version, int) else 0
        if (
            isinstance(entry, dict)
            and isinstance(entry.get("body"), bytes)
            and entry.get("user_version") == user_version
            and entry.get("data_version") == data_version
        ):
            metrics.count_cache("hit")
            return Response(_fill(entry["body"]), mimetype="text/html")
        if user_version is not None:  # None: the cache is off or failing (counted there)
            metrics.count_cache("miss")
        response = current_app.make_response(view(*args, **kwargs))
        if user_version is not None and response.status_code == 200 and not response.is_streamed:
            _store(key, response.get_data(as_text=True), user_version, data_version)
        return response

    return wrapped


def _fill(body: bytes) -> bytes:
    from banking.web.templating import csrf_token

    if _CSRF_MARK in body:
        body = body.replace(_CSRF_MARK, csrf_token().encode())
    while _KEY_MARK in body:
        body = body.replace(_KEY_MARK, new_idempotency_key().encode(), 1)
    return body


def _store(key: str, html: str, user_version: int, data_version: int) -> None:
    token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    if token:
        html = html.replace(token, CSRF_MARK)
    for value in g.pop(_VOLATILE, ()):
        html = html.replace(value, KEY_MARK)
    entry = {"user_version": user_version, "data_version": data_version, "body": html.encode()}
    try:
        cache.set(key, entry, timeout=current_app.config["DASHBOARD_CACHE_SECONDS"])
    except Exception as exc:  # noqa: BLE001 - a page that cannot be cached is still served
        log.warning("page cache write failed", extra={"error_type": type(exc).__name__})
