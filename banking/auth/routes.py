"""Views of the auth blueprint (placeholders until the identity work lands)."""

from flask import redirect, url_for

from banking.auth import bp


@bp.route("/login", methods=["GET", "POST"])
def login():  # noqa: ANN201
    return "sign in"


@bp.route("/signup", methods=["GET", "POST"])
def signup():  # noqa: ANN201
    return "sign up"


@bp.route("/profile")
def profile():  # noqa: ANN201
    return "profile"


@bp.post("/logout")
def logout():  # noqa: ANN201
    return redirect(url_for("auth.login"))
