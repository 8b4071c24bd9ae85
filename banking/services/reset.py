"""Password-reset links: signed, time-limited and single-use without a tokens table.

The token carries the user id and a fingerprint of the current password hash and
session token. Any password change (including the reset itself) changes both, so the
link dies after one use or after any other change, and it expires after
PASSWORD_RESET_MINUTES by its signed timestamp.

Asking for a link (`request_reset`) owns its unit of work: the audit row commits here.
Using one is `banking.services.auth.reset_password`.
"""

from __future__ import annotations

import logging

from flask import current_app

from banking.core.models import User
from banking.extensions import db
from banking.public_urls import public_url
from banking.services import auth
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


def user_for_reset_token(token: str) -> User | None:
    """The user the link is for, or None when it is forged, expired or already used."""
    user = RESET_LINK.user_for(db.session, token)
    if user is None or user.is_locked:
        return None
    return user


def request_reset(email: str) -> None:
    """Queue a reset link for `email`: the worker sends it if an account (not locked by an
    admin) uses that address, and records the request in the audit trail.

    The request itself does exactly the same for every address — one enqueue, no
    database read — so neither the answer nor its timing tells a stranger which
    addresses have accounts, and no request ever waits on SMTP.
    """
    from banking.services import outgoing_mail

    try:
        address = auth.normalize_email(email)
    except auth.EmailInvalid:
        return
    outgoing_mail.queue_reset_for_address(address)


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
