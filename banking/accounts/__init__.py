"""The `accounts` blueprint."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from banking.accounts import routes  # noqa: E402,F401 - registers the views on bp
