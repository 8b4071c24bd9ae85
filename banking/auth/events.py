"""Audit action names written by the identity code (one spelling, used everywhere)."""

SIGNUP = "auth.signup"
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
RECOVERY_CODE_USED = "auth.recovery_code_used"
ADMIN_CREATED = "auth.admin_created"

# What the profile page lists as "recent sign-in activity".
SIGN_IN_ACTIONS = (LOGIN, LOGIN_FAILED, LOCKOUT, TWO_FACTOR_FAILED)
