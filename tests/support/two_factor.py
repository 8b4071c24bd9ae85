"""Two-factor set-up through the pages, as a browser does it: one GET shows a secret
(made for that visit, kept in the session), one POST confirms it with the code and the
current password. `submit()` would GET the page again first, which makes a new secret.
"""

from __future__ import annotations

import re

import pyotp

from banking.core.models import User
from banking.extensions import db
from tests.support.builders import PASSWORD, login, make_admin
from tests.support.forms import csrf_from, submit

SECRET_PATTERN = re.compile(r'class="secret-key">([A-Z2-7]+)<')
RECOVERY_PATTERN = re.compile(r"<code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</code>")


def open_setup(client) -> tuple[str, str]:
    """GET the set-up page: the secret it shows and its form's CSRF token."""
    page = client.get("/auth/two-factor/setup").get_data(as_text=True)
    return SECRET_PATTERN.search(page).group(1), csrf_from(page)


def confirm_setup(client, token: str, code: str, password: str = PASSWORD):
    return client.post(
        "/auth/two-factor/setup", data={"csrf_token": token, "code": code, "password": password}
    )


def enroll(client, password: str = PASSWORD) -> tuple[str, list[str]]:
    """Turn two-factor on for the signed-in client; the secret and the recovery codes."""
    secret, token = open_setup(client)
    response = confirm_setup(client, token, pyotp.TOTP(secret).now(), password)
    return secret, RECOVERY_PATTERN.findall(response.get_data(as_text=True))


def sign_in_admin_with_two_factor(app, client):
    """A new admin with two-factor already on, signed in through both steps; the admin."""
    admin = make_admin(app)
    with app.app_context():
        user = db.session.get(User, admin.id)
        user.totp_secret = pyotp.random_base32()
        user.totp_enabled = True
        secret = user.totp_secret
        db.session.commit()
    login(client, admin.email)
    submit(client, "/auth/two-factor", {"code": pyotp.TOTP(secret).now()})
    return admin
