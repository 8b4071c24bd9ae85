"""Which browsers a user has signed in on before: the "sign-in from a new device" notice.

A browser is recognised by a long-lived cookie listing, for each user who signed in on
it, a keyed hash of their id (HMAC with the app's secret key): the cookie names nobody
and cannot be forged for another user, and the server stores nothing per device. A
browser without the cookie (a new one, or one whose cookies were cleared) counts as new,
which is what a customer expects from such notices. It is set after every sign-in.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Response, after_this_request, current_app, request

COOKIE = "known_device"
MAX_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie
MAX_USERS = 8  # a shared family computer, not a list that grows forever


def _tag(user_id: int) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"device:{user_id}".encode(), hashlib.sha256).hexdigest()[:20]


def _tags() -> list[str]:
    raw = request.cookies.get(COOKIE, "")
    return [t for t in raw.split(".") if len(t) == 20 and t.isalnum()][:MAX_USERS]


def is_known(user_id: int) -> bool:
    """Has `user_id` signed in on this browser before?"""
    tag = _tag(user_id)
    return any(hmac.compare_digest(tag, seen) for seen in _tags())


def remember(user_id: int) -> None:
    """After a sign-in: this browser is now one of the user's devices."""
    tag = _tag(user_id)
    tags = [tag, *(t for t in _tags() if t != tag)][:MAX_USERS]

    @after_this_request
    def set_cookie(response: Response) -> Response:
        config = current_app.config
        response.set_cookie(
            COOKIE,
            ".".join(tags),
            max_age=MAX_AGE,
            secure=bool(config.get("SESSION_COOKIE_SECURE")),
            httponly=True,
            samesite="Lax",
        )
        return response
