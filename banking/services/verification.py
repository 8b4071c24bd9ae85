"""Sign-up emails: the link that proves a new address, and the note to a taken one.

Sign-up answers every address the same way (issue 12, item 5), so what happens next is
told only to the mailbox: a new address gets a verification link, an address that
already has an account gets an email saying someone tried to open one with it.

The verification link works like a password-reset link (`banking.services.reset`): signed,
time-limited (EMAIL_VERIFY_HOURS) and single-use without a tokens table. The token
carries the user id and a fingerprint of the address and password hash; it is accepted
only while the account is still unverified, so following it once ends it, and a reset
(which verifies and changes the hash) ends it too.
"""

from __future__ import annotations

from flask import current_app

from banking.core.models import User
from banking.extensions import db
from banking.public_urls import public_url
from banking.services.auth import Signup
from banking.services.email import send_email
from banking.services.signed_links import SignedLink

SALT = "banking.email-verify"  # distinct from the reset salt: one token can't pass as the other


VERIFY_LINK = SignedLink(
    salt=SALT,
    material=lambda user: f"{user.email}|{user.password_hash}",
    max_age_seconds=lambda: int(current_app.config["EMAIL_VERIFY_HOURS"]) * 3600,
)


def make_verify_token(user: User) -> str:
    return VERIFY_LINK.token_for(user)


def user_for_verify_token(token: str) -> User | None:
    """The unverified user the link is for; None when forged, expired, or already used."""
    user = VERIFY_LINK.user_for(db.session, token)
    if user is None or user.email_verified_at is not None:
        return None
    return user


def send_verification_email(user: User) -> None:
    link = public_url("auth.verify_email", token=make_verify_token(user))
    hours = current_app.config["EMAIL_VERIFY_HOURS"]
    bank = current_app.config["BANK_NAME"]
    send_email(
        user.email,
        f"Confirm your email to open your {bank} account",
        f"Hello {user.full_name},\n\n"
        f"Someone (hopefully you) asked to open a {bank} account with this email "
        f"address. To finish, confirm it with this link. It works once and expires in "
        f"{hours} hours:\n\n{link}\n\n"
        "If you didn't ask, ignore this email: the account can't be used without it.\n",
    )


def send_account_exists_email(user: User) -> None:
    """To the owner of a taken address: the only place the sign-up says "it exists"."""
    sign_in = public_url("auth.login")
    forgot = public_url("auth.forgot_password")
    if user.email_verified_at is None:
        status = (
            "You started opening an account with this address but haven't confirmed it "
            "yet. Sign in with the password you chose and we'll send a new confirmation "
            f"link, or choose a new password (that confirms the address too):\n\n{forgot}\n"
        )
    else:
        status = (
            "You already have an account with us, so nothing was opened or changed. "
            f"Sign in here:\n\n{sign_in}\n\nForgot your password? Reset it here:\n\n{forgot}\n"
        )
    bank = current_app.config["BANK_NAME"]
    send_email(
        user.email,
        f"Someone tried to open a {bank} account with your email",
        f"Hello {user.full_name},\n\n"
        f"Someone tried to open a new {bank} account with this email address.\n\n"
        f"{status}\n"
        "If this wasn't you, you don't need to do anything: your account is safe and "
        "no one can use this address with us without access to your email.\n",
    )


def notify_signup(signup: Signup) -> None:
    """Queue the one email a sign-up causes, whichever kind it is.

    Queued, not sent: the answer goes back at once for either kind of address, and an
    SMTP outage delays the email (the worker retries) instead of failing the sign-up.
    """
    from banking.services import outgoing_mail

    if signup.created:
        kind = outgoing_mail.EMAIL_VERIFICATION
    else:
        kind = outgoing_mail.SIGNUP_EXISTING_EMAIL
    outgoing_mail.queue_user_email(kind, signup.user)
