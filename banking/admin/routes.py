"""Views of the admin blueprint (placeholder until the admin work lands)."""

from banking.admin import bp


@bp.get("/")
def overview():
    return "admin"
