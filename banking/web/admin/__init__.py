"""The `admin` blueprint."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from banking.web.admin import routes  # noqa: E402,F401 - registers the views on bp
