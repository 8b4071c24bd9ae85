"""The signed-in user's own settings: name, password, two-factor, recent sign-ins.

Each change owns its unit of work on the app's session: it commits the change with its
audit row, or rolls back and raises. Every change that asks for the current password
(or a code) checks it first through `reauth.confirm`, whose failures are committed
there (they count toward the sign-in lockout) and raised as `ReauthFailed`.

What stays with the web: the pending two-factor secret (it lives in the signed session
cookie until a code confirms it) and re-issuing the session after the token rotates.
"""

from __future__ import annotations

from sqlalchemy import select

from banking.core import notifications as notices
from banking.core.errors import DomainError
from banking.core.models import AuditEvent, User
from banking.extensions import db
from banking.services import auth, reauth, two_factor
from banking.services import auth_events as events
from banking.services import notifications as notify


class TwoFactorCodeInvalid(DomainError):
    """The code from the authenticator app does not match the secret being set up."""

    code = "two_factor_code_invalid"
    message = "That code isn't valid. Check the time on your phone and retry."
    field = "code"


def sign_in_history(user: User, limit: int = 20) -> list[AuditEvent]:
    """The user's latest sign-in events (successes and failures), newest first."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.actor_id == user.id, AuditEvent.action.in_(events.SIGN_IN_ACTIONS))
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )


def remaining_recovery_codes(user: User) -> int:
    """How many unused recovery codes the user has left (0 without two-factor)."""
    if not user.totp_enabled:
        return 0
    return two_factor.remaining_recovery_codes(db.session, user)


def change_name(user: User, full_name: str) -> None:
    """Store the new name (audited only when it really changed), committed."""
    old = user.full_name
    user.full_name = full_name.strip()
    if old != user.full_name:
        events.record_own(events.NAME_CHANGE, user.id)
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    """Check the current password, then store the new one and sign out every other
    session (the token rotates; the caller re-issues its own).

    Raises `ReauthFailed` (the failure is committed) or `auth.PasswordRejected` (nothing
    is: not even the cleared failure count the correct current password earned).
    """
    reauth.confirm(user, reauth.PASSWORD_CHANGE, current)
    try:
        auth.set_new_password(db.session, user, new)
    except auth.PasswordRejected:
        db.session.rollback()
        raise
    db.session.commit()


def enable_two_factor(user: User, *, password: str, secret: str, code: str) -> list[str]:
    """Turn two-factor on with `secret` once `code` proves the authenticator has it;
    return the recovery codes (shown once). Signs out every other session.

    A wrong code here is not a guess at anything secret (the secret is on the page): it
    is not counted, only refused (`TwoFactorCodeInvalid`), but the POST is rate-limited
    like every re-check.
    """
    reauth.confirm(user, reauth.TWO_FACTOR_ENROLL, password)
    codes = two_factor.enable(db.session, user, secret, code)
    if codes is None:
        db.session.rollback()
        raise TwoFactorCodeInvalid()
    _switched_two_factor(user, events.TWO_FACTOR_ENROLL)
    return codes


def disable_two_factor(user: User, *, password: str, code: str) -> None:
    """Turn two-factor off after the password and a current code (or recovery code)."""
    reauth.confirm(user, reauth.TWO_FACTOR_DISABLE, password, code=code)
    two_factor.disable(db.session, user)
    _switched_two_factor(user, events.TWO_FACTOR_DISABLE)


def _switched_two_factor(user: User, action: str) -> None:
    """Commit a two-factor change with its audit row, and rotate the session token so
    every other copy of the session is signed out."""
    events.record_own(action, user.id)
    db.session.add(
        notices.two_factor_changed(user.id, enabled=action == events.TWO_FACTOR_ENROLL)
    )
    user.rotate_session_token()
    db.session.commit()
    notify.dispatch()  # a security notice: always emailed
