"""The `auth` blueprint: sign-up, sign-in, two-factor, password reset, profile."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

# Importing the view modules registers them on bp. Loading the user and the session
# limits apply to every blueprint: banking.web.sessions, wired up by the app factory.
from banking.web.auth import profile_routes, reset_routes, routes, signup_routes  # noqa: E402,F401
