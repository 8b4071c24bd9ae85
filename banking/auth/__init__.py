"""The `auth` blueprint."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from banking.auth import routes  # noqa: E402,F401 - registers the views on bp
