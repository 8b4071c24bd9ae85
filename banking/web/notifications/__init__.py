"""The `notifications` blueprint: the signed-in user's inbox."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)

from banking.web.notifications import routes  # noqa: E402,F401
