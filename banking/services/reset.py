"""Password-reset links: signed, time-limited and single-use without a tokens table.

The token carries the user id and a fingerprint of the current password hash and
session token. Any password change (including the reset itself) changes both, so the
link dies after one use or after any other change, and it expires after
PASSWORD_RESET_MINUTES by its signed timestamp.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import current_app
from sqlalchemy.orm import Session

from banking.core.models import User
from banking.public_urls import public_url
from banking.services.email import send_email
from banking.services.signed_links import SignedLink

SALT = "banking.password-reset"

log = logging.getLogger(__name__)


RESET_LINK = SignedLink(
    salt=SALT,
    material=lambda user: f"{user.password_hash}|{user.session_token}",
    max_age_seconds=lambda: int(current_app.config["PASSWORD_RESET_MINUTES"]) * 60,
)


def make_reset_token(user: User) -> str:
    return RESET_LINK.token_for(user)


def user_for_reset_token(session: Session, token: str) -> User | None:
    """The user the link is for, or None when it is forged, expired or already used."""
    user = RESET_LINK.user_for(session, token)
    if user is None or user.is_locked:
        return None
    return user


def send_reset_email(user: User) -> None:
    link = public_url("auth.reset_password", token=make_reset_token(user))
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    send_email(
        user.email,
        f"Reset your {current_app.config['BANK_NAME']} password",
        f"Hello {user.full_name},\n\n"
        f"Someone (hopefully you) asked to reset your password. This link works once "
        f"and expires in {minutes} minutes:\n\n{link}\n\n"
        "If you did not ask, ignore this email; your password stays the same.\n",
    )


def send_password_changed_email(user: User) -> None:
    send_email(
        user.email,
        f"Your {current_app.config['BANK_NAME']} password was changed",
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
