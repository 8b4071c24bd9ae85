"""Views of the auth blueprint (placeholders until the identity work lands)."""

from flask import redirect, url_for

from banking.auth import bp


@bp.route("/login", methods=["GET", "POST"])
def login():
    return "sign in"


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    return "sign up"


@bp.route("/profile")
def profile():
    return "profile"


@bp.post("/logout")
def logout():
    return redirect(url_for("auth.login"))
