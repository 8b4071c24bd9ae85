"""Friendly error pages in the site's style; no stack trace ever reaches a response."""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, current_app, g, render_template, request
from flask.globals import request_ctx
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from banking.extensions import db, limiter
from banking.web.presenters import spoken_duration

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Bad request", "We couldn't understand that request."),
    403: ("Not allowed", "You don't have permission to see this page."),
    404: ("Page not found", "We couldn't find that page."),
    405: ("Method not allowed", "That action isn't available here."),
    413: ("Too large", "What you sent is too large."),
    429: ("Too many requests", "You've tried that too often. Please wait a moment and try again."),
    500: ("Something went wrong", "Something went wrong on our side. Nothing was changed."),
    503: (
        "Temporarily unavailable",
        "The bank is briefly unavailable. Nothing was changed; please try again shortly.",
    ),
}


def render_error(
    status: int, message: str | None = None, headers: list[tuple[str, str]] | None = None
):
    title, default = MESSAGES.get(status, MESSAGES[500])
    if request.accept_mimetypes.best == "application/json" or request.path in ("/readyz",):
        return {"error": title, "status": status}, status, headers or []
    _bind_urls_for_a_refused_host()
    return render_template(
        "errors/error.html", status=status, title=title, message=message or default
    ), status, headers or []


def _bind_urls_for_a_refused_host() -> None:
    """Let the error page build its links when Flask refused the request's Host.

    With TRUSTED_HOSTS set, a request for another Host fails while Flask binds the URL
    map (SecurityError, 400), leaving the request without a URL adapter: every
    `url_for` in the page's layout would raise, and the friendly 400 would become a
    bare 500. Bind one to the first trusted name instead. The page only builds
    relative links, and never from the refused Host.
    """
    if request_ctx.url_adapter is not None:
        return
    trusted = current_app.config.get("TRUSTED_HOSTS") or ["localhost"]
    request_ctx.url_adapter = current_app.url_map.bind(
        trusted[0].lstrip("."), script_name=request.root_path or "/", url_scheme=request.scheme
    )


def _protocol_headers(error: HTTPException) -> list[tuple[str, str]]:
    """The headers the HTTP error carries, for the friendly page to keep.

    A 405 must say which methods are allowed (`Allow`, RFC 9110), a 429 or 503 may say
    when to come back (`Retry-After`), a 401 how to authenticate. Werkzeug puts them
    on its own bare page; replacing that page must not drop them. Only its
    Content-Type is left out: the friendly page sets its own.
    """
    return [
        (name, value)
        for name, value in error.get_headers(request.environ)
        if name.lower() != "content-type"
    ]


def _seconds_until_reset() -> int:
    """Whole seconds until the limit that refused this request lets it through again."""
    current = limiter.current_limit
    if current is None:  # refused by a limit we cannot see: a minute is the shortest window
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))


def _safe_rollback() -> None:
    """Roll back the request's session; if the database is gone, there is nothing to undo."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001
        log.warning("rollback failed")


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError):
        return render_error(400, "Your form expired or was sent from elsewhere. Please try again.")

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(error: RateLimitExceeded):
        # Say when to come back, in words and in `Retry-After` (RFC 9110): "wait a moment"
        # leaves a customer retrying into the same limit.
        wait = _seconds_until_reset()
        headers = [h for h in _protocol_headers(error) if h[0].lower() != "retry-after"]
        message = (
            "You've tried that too often. Please try again in "
            f"{spoken_duration(wait)}."
        )
        return render_error(429, message, headers=[*headers, ("Retry-After", str(wait))])

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code and error.code >= 500:
            _safe_rollback()
        return render_error(error.code or 500, headers=_protocol_headers(error))

    @app.errorhandler(OperationalError)
    def database_unavailable(error: OperationalError):
        _safe_rollback()
        # The page's header shows the signed-in user: loading (or, after the rollback,
        # refreshing) them would query the lost database again and escape this handler
        # as gunicorn's bare 500. The outage page is rendered as for a visitor.
        g._login_user = app.login_manager.anonymous_user()
        log.error("database unavailable", extra={"error_type": type(error.orig).__name__})
        return render_error(ServiceUnavailable.code)

    @app.errorhandler(Exception)
    def unhandled(error: Exception):
        _safe_rollback()
        log.error("unhandled error", extra={"error_type": type(error).__name__})
        return render_error(InternalServerError.code)
