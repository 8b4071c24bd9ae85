"""Rate limits for the front door (per client IP and per account) and for re-checks
of a signed-in user's password (per user).

Limits are callables reading `current_app.config`, so each environment (and a test)
sets its own. The per-account key is a hash of the normalized email, so a botnet
spread over many IPs still hits one ceiling per account; the database lockout
(`banking.services.lockout`) is the second, slower line behind it.
"""

from __future__ import annotations

import hashlib

from flask import current_app, request, session
from flask_limiter.util import get_remote_address
from flask_login import current_user

from banking.extensions import limiter
from banking.web.sessions import PENDING_USER


def login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def signup_limit() -> str:
    return current_app.config["SIGNUP_RATE_LIMIT"]


def reset_limit() -> str:
    return current_app.config["RESET_RATE_LIMIT"]


def reauth_limit() -> str:
    return current_app.config["REAUTH_RATE_LIMIT"]


def account_key() -> str:
    """The account a request is about: the one half-way through two-factor on the code
    step, else the one a form names (email field), else the client IP.

    On the code step the account comes only from the signed session (set by a correct
    password), never from the form: a posted `email` is the attacker's to choose, and
    changing it on every guess would give each guess a fresh bucket.
    """
    if request.endpoint == "auth.second_factor":
        pending = session.get(PENDING_USER)
        if pending:
            return f"account-id:{pending}"
        return "ip:" + (get_remote_address() or "")
    email = (request.form.get("email") or "").strip().lower()
    if email:
        return "account:" + hashlib.sha256(email.encode("utf-8")).hexdigest()[:32]
    return "ip:" + (get_remote_address() or "")


def per_ip_and_account(limit):
    """Both limits on a view's POSTs: one keyed by client IP, one by account."""

    def decorate(view):
        view = limiter.limit(limit, methods=["POST"], key_func=account_key, scope=_scope("acct"))(
            view
        )
        return limiter.limit(limit, methods=["POST"], key_func=get_remote_address)(view)

    return decorate


def user_key() -> str:
    """The signed-in user's id: not the session token (it rotates), not the IP (a cookie
    thief can spread guesses over many). Anonymous requests fall back to the IP; the
    view's `login_required` turns them away anyway."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return "ip:" + (get_remote_address() or "")


def per_user(limit):
    """One limit per signed-in user on a view's POSTs, shared by every view using it.

    Shared (one scope, "reauth") so that the re-checks together, not each one, get
    `limit` tries: an attacker can't take the password page's allowance, then the
    two-factor pages' as well.
    """
    return limiter.shared_limit(limit, scope="reauth", key_func=user_key, methods=["POST"])


def _scope(prefix: str):
    return lambda endpoint: f"{prefix}:{endpoint}"
