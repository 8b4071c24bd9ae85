"""The `auth` blueprint: sign-up, sign-in, two-factor, password reset, profile."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

# Importing the view modules registers them on bp; sessions registers the user loader.
from banking.web.auth import (  # noqa: E402,F401
    profile_routes,
    reset_routes,
    routes,
    sessions,
    signup_routes,
)

bp.before_app_request(sessions.enforce_session_limits)
