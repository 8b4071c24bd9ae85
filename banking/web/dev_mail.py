"""Development's mailbox page: the last emails sent, so sign-up links are a click away.

Registered only when the app runs with the development config, so in testing, staging
and production the URL does not exist at all (404): the page shows every user's emails,
one-time links included, to anyone who asks. The view checks again, in case the
blueprint is ever registered by mistake.
"""

from __future__ import annotations

import re

from flask import Blueprint, Flask, abort, current_app, render_template

from banking.services import email as email_service

bp = Blueprint("dev", __name__)

LINK = re.compile(r"https?://\S+")


def is_development(app: Flask) -> bool:
    return app.config.get("ENV_NAME") == "development"


def links_in(body: str) -> list[str]:
    """The URLs in a plain-text email, to show as clickable links."""
    return LINK.findall(body)


@bp.get("/dev/mail")
def mail():
    if not is_development(current_app):
        abort(404)
    emails = list(reversed(email_service.recent))
    return render_template(
        "dev/mail.html",
        emails=emails,
        capacity=email_service.RECENT_CAPACITY,
        links_in=links_in,
    )


def init_app(app: Flask) -> None:
    if is_development(app):
        app.register_blueprint(bp)
