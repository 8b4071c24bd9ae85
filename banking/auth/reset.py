"""Password-reset links: signed, time-limited and single-use without a tokens table.

The token carries the user id and a fingerprint of the current password hash and
session token. Any password change (including the reset itself) changes both, so the
link dies after one use or after any other change, and it expires after
PASSWORD_RESET_MINUTES by its signed timestamp.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from banking.models import User
from banking.public_urls import public_url
from banking.services.email import send_email

SALT = "banking.password-reset"

log = logging.getLogger(__name__)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _fingerprint(user: User) -> str:
    material = f"{user.password_hash}|{user.session_token}".encode()
    return hashlib.sha256(material).hexdigest()[:24]


def make_reset_token(user: User) -> str:
    return _serializer().dumps({"uid": user.id, "fp": _fingerprint(user)})


def user_for_reset_token(session: Session, token: str) -> User | None:
    """The user the link is for, or None when it is forged, expired or already used."""
    max_age = int(current_app.config["PASSWORD_RESET_MINUTES"]) * 60
    try:
        data = _serializer().loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
        return None
    user = session.get(User, data["uid"])
    if user is None or user.is_locked or data.get("fp") != _fingerprint(user):
        return None
    return user


def send_reset_email(user: User) -> None:
    link = public_url("auth.reset_password", token=make_reset_token(user))
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    send_email(
        user.email,
        "Reset your Northwind Bank password",
        f"Hello {user.full_name},\n\n"
        f"Someone (hopefully you) asked to reset your password. This link works once "
        f"and expires in {minutes} minutes:\n\n{link}\n\n"
        "If you did not ask, ignore this email; your password stays the same.\n",
    )


def send_password_changed_email(user: User) -> None:
    send_email(
        user.email,
        "Your Northwind Bank password was changed",
        f"Hello {user.full_name},\n\nYour password was just changed and every other "
        "session was signed out. If this wasn't you, reset your password now and "
        "contact us.\n",
    )


def send_quietly(send: Callable[[User], None], user: User, what: str) -> bool:
    """Send an email; on a transport failure log it and return False instead of raising.

    SMTP runs inside the request in staging and production: an outage would turn
    "forgot password" into a 500 only for addresses that have an account (telling an
    attacker which ones do), and would show an error after a reset or an admin action
    that succeeded. The log line carries the exception's type and the user id only: the
    message of an SMTP error can hold the address, and the email itself holds the
    one-time link.
    """
    try:
        send(user)
    except Exception as exc:  # noqa: BLE001 - any transport failure is reported the same way
        log.warning(
            "email not sent",
            extra={"email_kind": what, "user_id": user.id, "error_type": type(exc).__name__},
        )
        return False
    return True
