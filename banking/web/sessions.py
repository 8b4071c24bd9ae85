"""Signed-in sessions: loading the user, starting a session, idle and absolute limits.

App-wide, not the auth blueprint's: every blueprint's pages load their user here and
are held to the same limits (`init_app`); the auth views start and end sessions.

Flask-Login's id is the user's `session_token`, so bumping it (password change or
reset) makes every other session's cookie load nobody. The idle clock lives in the
signed session cookie (`last_seen`), not in the database, so a page view costs no write.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, flash, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_login import current_user, login_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.exc import SQLAlchemyError

from banking import user_cache
from banking.core.models import User
from banking.extensions import login_manager
from banking.services import auth, notifications
from banking.web import page_cache
from banking.web.session_user import SessionUser

log = logging.getLogger(__name__)

LAST_SEEN = "last_seen"
USER_ID = "uid"  # the user's id, so the cached snapshot is found without a query
LOGIN_AT = "login_at"
PENDING_USER = "pending_2fa_user"
PENDING_TOKEN = "pending_2fa_token"  # noqa: S105 - a session key name
PENDING_AT = "pending_2fa_at"
PENDING_REMEMBER = "pending_2fa_remember"
PENDING_NEXT = "pending_2fa_next"
PENDING_SECONDS = 300  # the code step must follow the password step within 5 minutes
LAST_SEEN_GRANULARITY = 15  # seconds; avoids re-signing the cookie on every request


# Pages whose own cache entries are read with the user's, in one round trip: endpoint ->
# the entries' keys for a user id. The page takes them from `prefetched()`. (A cached
# whole page, `banking.web.page_cache`, is read the same way, before these.)
# The dashboard's summary is not among them: its whole page is cached, and the summary is
# read (one more round trip) only when that page is rendered again.
PREFETCH: dict[str, Callable[[int], list[str]]] = {}


def prefetched(key: str) -> Any:
    """The value `load_user` read for `key` with the user (None if it did not)."""
    return g.get("prefetched_cache", {}).pop(key, None)


@login_manager.user_loader
def load_user(token: str) -> SessionUser | None:
    """Who is asking, by session token; a user an admin has locked is not loaded at all.

    `current_user` is a `SessionUser` (plain data, from `banking.user_cache` when the
    snapshot there was made for this token, else from the users row). Code that needs
    the row itself (to change it) calls `current_user_row()`.
    """
    sess = session._get_current_object()
    user_id = sess.get(USER_ID)
    version = None
    page = None
    unread: tuple[int | None, int] | None = None  # (count if cached, its version)
    if isinstance(user_id, int):
        page = page_cache.page_key(user_id)
        page_entries = PREFETCH.get(request.endpoint or "")
        unread_keys = user_cache.unread_keys(user_id)
        page_keys = [page_cache.data_version_key(user_id), page] if page else []
        extra_keys = page_entries(user_id) if page_entries else []
        cached, version, values = user_cache.get(
            user_id, token, unread_keys + page_keys + extra_keys
        )
        if version is not None:  # None: the cache is off or failing
            unread = user_cache.unread_from(values[0], values[1])
        values = values[len(unread_keys) :]
        g.prefetched_cache = {
            k: v for k, v in zip(extra_keys, values[len(page_keys) :], strict=True) if v is not None
        }
        if page:
            # Kept only for this user id: the entry's key was built from it.
            page_cache.remember(page, values[1], version, values[0])
        if cached is not None:
            count = unread[0] if unread is not None else None
            if count is None:
                return SessionUser(cached, token, _counter(user_id, unread))
            return SessionUser(cached, token, count)
    found = notifications.session_user(token)
    user = found[0] if found else None
    if user is None or user.is_locked:
        page_cache.forget()
        return None
    snapshot = user_cache.snapshot_of(user)
    if version is not None and user.id == user_id:
        # The versions were read before the row: a change committed since outdates these.
        user_cache.put(snapshot, version, (found[1], unread[1]) if unread is not None else None)
    if user_id != user.id:
        page_cache.forget()  # read for the session's user id, which is not this user's
        sess[USER_ID] = user.id  # a session from before this key, or a remember cookie
    return SessionUser(snapshot, token, found[1])


def _counter(user_id: int, unread: tuple[int | None, int] | None) -> Callable[[], int]:
    """How a cached user's outdated unread count is made again, if a page shows it."""

    def count() -> int:
        try:
            value = notifications.unread_count_of(user_id)
        except SQLAlchemyError as exc:
            # The badge never fails a page: an error page rendered because the database
            # misbehaved must still render. Shown as none, and nothing is cached.
            log.warning("unread count unavailable", extra={"error_type": type(exc).__name__})
            return 0
        if unread is not None:  # its version was read before this count
            user_cache.put_unread(user_id, value, unread[1])
        return value

    return count


def current_user_row() -> User:
    """The signed-in user's row, for a service that changes it (their name, password,
    two-factor, signing out). 404 when it no longer matches the session."""
    user = auth.get_user(current_user.id) if current_user.is_authenticated else None
    if user is None or user.session_token != current_user.get_id():
        abort(404)
    return user


def is_safe_next(target: str | None) -> bool:
    """Only a local path: no scheme, no host, no `//host` or `/\\host` tricks."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ch in target for ch in ("\\", "\r", "\n", "\t")):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default: str) -> str:
    return target if is_safe_next(target) else default


def start_session(user: User, *, remember: bool = False) -> None:
    """Sign in on a brand-new session (the old one is cleared: no fixation).

    The cleared session takes its CSRF secret with it; Flask-WTF caches the signed token
    of the old one in `g` for the rest of the request, so a page rendered in this same
    request (the recovery codes after enrolling two-factor) would carry a token the new
    session cannot check, and its next form (even Sign out) would be a 400. Dropping the
    cached token makes the page's forms use the new session's.
    """
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    login_user(user, remember=remember, fresh=True)
    session[USER_ID] = user.id
    session.permanent = True  # the cookie expires with the idle window
    now = int(time.time())
    session[LOGIN_AT] = now
    session[LAST_SEEN] = now


def refresh_session_user(user: User) -> None:
    """After the user's token changed, keep *this* session signed in under the new token."""
    login_at = session.get(LOGIN_AT, int(time.time()))
    start_session(user)
    session[LOGIN_AT] = login_at


def end_session() -> None:
    session.clear()
    logout_user()


def begin_second_factor(user: User, *, remember: bool, next_url: str | None) -> None:
    """Password accepted: remember who is half-way in, without signing them in."""
    session.clear()
    session[PENDING_USER] = user.id
    session[PENDING_TOKEN] = user.session_token
    session[PENDING_AT] = int(time.time())
    session[PENDING_REMEMBER] = bool(remember)
    session[PENDING_NEXT] = next_url if is_safe_next(next_url) else None


def pending_user() -> User | None:
    """The user between the password and code steps, if that step is still fresh."""
    user_id = session.get(PENDING_USER)
    started = session.get(PENDING_AT, 0)
    if not user_id or time.time() - started > PENDING_SECONDS:
        return None
    user = auth.get_user(user_id)
    if user is None or user.session_token != session.get(PENDING_TOKEN) or user.is_locked:
        return None
    return user


def clear_pending() -> None:
    for key in (PENDING_USER, PENDING_TOKEN, PENDING_AT, PENDING_REMEMBER, PENDING_NEXT):
        session.pop(key, None)


def _expired(now: float, sess: Any = None) -> bool:
    config = current_app.config
    idle = int(config["SESSION_IDLE_MINUTES"]) * 60
    absolute = int(config["SESSION_ABSOLUTE_HOURS"]) * 3600
    if sess is None:
        sess = session._get_current_object()
    last_seen = sess.get(LAST_SEEN)
    login_at = sess.get(LOGIN_AT)
    return (last_seen is not None and now - last_seen > idle) or (
        login_at is not None and now - login_at > absolute
    )


class SigningSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with its signing serializer built once per key, and
    the cookies it has verified remembered.

    Flask builds a new serializer for every request (and itsdangerous checks the JSON
    serializer by serialising an empty dict each time); the keys rarely change, so the
    serializer is kept for as long as the secret key and its fallbacks stay the same.

    A browser sends the same cookie on every request until the session changes (the idle
    clock re-signs it at most every LAST_SEEN_GRANULARITY seconds), and opening it (base64,
    zlib, an HMAC, Flask's tagged JSON) was ~10 % of a cached page's CPU. So each worker
    remembers what a cookie it has verified held and when it was signed, keyed by the
    cookie's exact text and dropped with the keys it was verified under. Only the very
    bytes that passed the signature check hit, the age limit is checked again on every
    hit, and only sessions of plain values (no list a request could change in place) are
    kept. A cookie that was never valid is never remembered.
    """

    OPENED_MAX = 1024  # cookies remembered per worker (a few hundred bytes each)
    _cached: tuple[tuple[Any, ...], URLSafeTimedSerializer | None, dict[str, Any]] | None = None

    def _signing(self, app: Flask) -> tuple[URLSafeTimedSerializer | None, dict[str, Any]]:
        keys = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = self._cached  # one read: another thread may replace it meanwhile
        if cached is not None and cached[0] == keys:
            return cached[1], cached[2]
        serializer = super().get_signing_serializer(app)
        self._cached = (keys, serializer, {})
        return serializer, self._cached[2]

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        return self._signing(app)[0]

    def open_session(self, app: Flask, request: Any) -> SecureCookieSession | None:
        if not app.secret_key:
            return None  # as Flask's: no key, no session (the serializer needs the key)
        serializer, opened = self._signing(app)
        assert serializer is not None  # Flask builds one whenever there is a key
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        known = opened.get(value)
        if known is not None and 0 <= int(time.time()) - known[0] <= max_age:
            return self.session_class(known[1])  # a copy: the remembered dict stays as is
        try:
            data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if isinstance(data, dict) and all(type(v) in _PLAIN for v in data.values()):
            if len(opened) >= self.OPENED_MAX:
                opened.clear()
            opened[value] = (int(signed_at.timestamp()), data)
        return self.session_class(data)

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        """Flask's, minus its seven cookie settings read for a session it will not write.

        Nearly every signed-in request leaves the session as it was (the idle clock moves
        it at most every LAST_SEEN_GRANULARITY seconds); Flask then only marks the answer
        `Vary: Cookie`. Anything else (a change, an emptied session) is Flask's own path.
        """
        if session and not self.should_set_cookie(app, session):
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)


_PLAIN = (str, int, bool, float, type(None))


def init_app(app: Flask) -> None:
    """Check the idle and absolute limits before every request, whichever blueprint."""
    app.session_interface = SigningSessionInterface()
    app.before_request(enforce_session_limits)


def enforce_session_limits():
    """Before each request: sign out a session past its idle or absolute limit."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    sess = session._get_current_object()  # read once: each proxy access is a lookup
    now = time.time()
    if _expired(now, sess):
        end_session()
        flash("Your session has ended for your security. Please sign in again.", "info")
        return None
    if LOGIN_AT not in sess:
        # Restored from a "remember me" cookie: a new session starts its own clocks.
        sess[LOGIN_AT] = int(now)
    if now - sess.get(LAST_SEEN, 0) >= LAST_SEEN_GRANULARITY:
        sess[LAST_SEEN] = int(now)
    return None
