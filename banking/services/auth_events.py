"""Audit action names written by the identity code (one spelling, used everywhere).

Almost every identity event is something a user did to (or that happened to) their own
account, so `record_own` writes that shape once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from banking.core.models import AuditEvent
from banking.services.audit import record

SIGNUP = "auth.signup"
# A sign-up with an address that already has an account: nothing was created, the
# owner was emailed. Anonymous (no actor), targeted at the existing user.
SIGNUP_EXISTING_EMAIL = "auth.signup_existing_email"
EMAIL_VERIFIED = "auth.email_verified"
LOGIN = "auth.login"
LOGIN_FAILED = "auth.login_failed"
LOCKOUT = "auth.lockout"
LOGOUT = "auth.logout"
PASSWORD_CHANGE = "auth.password_change"  # noqa: S105 - an action name
PASSWORD_RESET_REQUEST = "auth.password_reset_request"  # noqa: S105 - an action name
PASSWORD_RESET = "auth.password_reset"  # noqa: S105 - an action name
NAME_CHANGE = "auth.name_change"
TWO_FACTOR_ENROLL = "auth.2fa_enroll"
TWO_FACTOR_DISABLE = "auth.2fa_disable"
TWO_FACTOR_FAILED = "auth.2fa_failed"
REAUTH_FAILED = "auth.reauth_failed"  # a wrong current password or code while signed in
RECOVERY_CODE_USED = "auth.recovery_code_used"
ADMIN_CREATED = "auth.admin_created"

# What the profile page lists as "recent sign-in activity" (a failed re-check is there
# too: it counts toward the same lockout, so the customer should see it).
SIGN_IN_ACTIONS = (LOGIN, LOGIN_FAILED, LOCKOUT, TWO_FACTOR_FAILED, REAUTH_FAILED)


def record_own(
    action: str,
    user_id: int,
    *,
    success: bool = True,
    details: dict[str, Any] | None = None,
    session: Session | None = None,
) -> AuditEvent:
    """Audit `action` with the user as both actor and target (the caller commits it)."""
    return record(
        action,
        actor_id=user_id,
        target_type="user",
        target_id=user_id,
        success=success,
        details=details,
        session=session,
    )
