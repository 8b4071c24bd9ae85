"""Views of the accounts blueprint (placeholder until the banking core lands)."""

from banking.accounts import bp


@bp.get("/")
def dashboard():
    return "dashboard"
