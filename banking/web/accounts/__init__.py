"""The `accounts` blueprint: what a customer sees and does with their money."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

# Each module registers its views on bp: dashboard/settings/payees, transfers,
# history/export/statements, and scheduled transfers.
from banking.web.accounts import (  # noqa: E402,F401
    categories,
    history,
    insights,
    routes,
    savings,
    schedules,
    search,
    statement_documents,
    transfer_views,
)
