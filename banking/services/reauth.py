"""Re-authentication: the one door every "confirm it's you" check goes through.

A signed-in session asking for the current password (password change, two-factor set-up
and turn-off, anything added later) is a password oracle for whoever holds the cookie.
So each check here counts failures on the same counter as sign-in
(`lockout.register_failure`), audits each one, and at the threshold rotates the session
token (every copy of the cookie dies) and says so (`ReauthFailed.signed_out`), so the
web can end this session and send the browser to the sign-in page, which the lock then
refuses: exactly what sign-in does. An account that is already locked is refused without
checking anything, and the refusal does not count, as on the sign-in page. Views add
`throttling.per_user(reauth_limit)`, whose counter is atomic in the limiter's storage
and so also bounds guesses made by a parallel burst that all read the account before
the lock was written.

A success clears the failure count, as a completed sign-in does: the holder has just
proved they know the password (and the code, where one is asked). Only the services of
`banking.services.profile` call `confirm`: they commit that success together with the
change it protects, or roll both back.
"""

from __future__ import annotations

from datetime import datetime

from banking.core.errors import DomainError
from banking.core.models import User
from banking.core.models.base import utcnow
from banking.extensions import db
from banking.services import auth_events as events
from banking.services import lockout, two_factor
from banking.services.passwords import verify_password

# What the re-check protects, written in the audit row's details.
PASSWORD_CHANGE = "password_change"  # noqa: S105 - a purpose name
TWO_FACTOR_ENROLL = "2fa_enroll"
TWO_FACTOR_DISABLE = "2fa_disable"

WRONG_PASSWORD = "Your current password is incorrect."  # noqa: S105 - a message
WRONG_PASSWORD_OR_CODE = "The password or code is incorrect."  # noqa: S105 - a message
LOCKED = (
    "Too many failed attempts: this account is locked for a while. "
    "Try again later or reset your password."
)


class ReauthFailed(DomainError):
    """The holder did not prove it is them. The failure is already committed (it counts).

    `signed_out` when this failure locked the account: the session token is rotated, so
    the caller must end this session and show the lockout on the sign-in page.
    """

    code = "reauth_failed"

    def __init__(self, message: str, *, signed_out: bool = False) -> None:
        super().__init__(message)
        self.signed_out = signed_out


def confirm(user: User, purpose: str, password: str, code: str | None = None) -> None:
    """Verify the current password (and a TOTP or recovery code when `code` is given).

    A failure is committed here, with its audit row, before `ReauthFailed` is raised:
    the caller then abandons whatever else it was about to change, and a rolled-back
    failure would not count. A success writes nothing yet (the failure count is cleared
    on the user object) and the caller commits it with the change it protects.
    """
    now = utcnow()
    if lockout.is_locked_out(user, now):
        verify_password(None, password)  # same cost as a real check: no timing tell
        _audit_failure(user, purpose, "locked_out")
        db.session.commit()
        raise ReauthFailed(LOCKED)
    lockout.expire_if_due(user, now)
    if not verify_password(user.password_hash, password):
        _count_failure(user, purpose, "bad_password", now, _wrong(code))
    if code is not None:
        # Only after a correct password: a wrong one must not burn a recovery code.
        kind = two_factor.verify_second_factor(db.session, user, code)
        if kind is None:
            _count_failure(user, purpose, "bad_second_factor", now, _wrong(code))
        if kind == "recovery":
            remaining = two_factor.remaining_recovery_codes(db.session, user)
            events.record_own(events.RECOVERY_CODE_USED, user.id, details={"remaining": remaining})
    lockout.clear_failures(user)


def _wrong(code: str | None) -> str:
    return WRONG_PASSWORD if code is None else WRONG_PASSWORD_OR_CODE


def _count_failure(user: User, purpose: str, reason: str, now: datetime, message: str) -> None:
    """One more failure on the sign-in counter, committed; at the threshold, sign out
    everywhere. Always raises `ReauthFailed`.

    The lockout row is written once, by the failure that set the lock (as on sign-in);
    any failure that finds the account locked rotates the token, so a concurrent one
    that lost the race still ends its own session.
    """
    failure = lockout.register_failure(user, now)
    _audit_failure(user, purpose, reason, failures=failure.count)
    if failure.newly_locked:
        events.record_own(
            events.LOCKOUT,
            user.id,
            success=False,
            details={"failures": failure.count, "during": purpose},
        )
    if failure.locked:
        user.rotate_session_token()
    db.session.commit()
    if failure.locked:
        raise ReauthFailed(LOCKED, signed_out=True)
    raise ReauthFailed(message)


def _audit_failure(user: User, purpose: str, reason: str, failures: int | None = None) -> None:
    details: dict[str, object] = {"purpose": purpose, "reason": reason}
    if failures is not None:
        details["failures"] = failures
    events.record_own(events.REAUTH_FAILED, user.id, success=False, details=details)
