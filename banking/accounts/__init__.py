"""The `accounts` blueprint: what a customer sees and does with their money."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

# Each module registers its views on bp: dashboard/transfers/payees, history/export/
# statements, and scheduled transfers.
from banking.accounts import history, routes, schedules  # noqa: E402,F401
