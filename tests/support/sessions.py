"""Sign a test client in without the sign-in form: write the session Flask-Login reads.

Money-page tests must not depend on the sign-in views, so this sets exactly what a real
sign-in stores: `_user_id` (the user's session token), `_fresh`, Flask-Login's
identifier `_id` (stored by every sign-in, though session protection is off), the
user's id (where the cached session user is looked up), and the idle/absolute clocks
the auth session checks read.
"""

from __future__ import annotations

import time

from flask import Flask

from banking.core.models import User
from banking.extensions import db, login_manager
from banking.web.sessions import LAST_SEEN, LOGIN_AT, USER_ID
from tests.support.forms import submit


def login_as(client, app: Flask, user_id: int) -> None:
    with app.app_context():
        token = db.session.get(User, user_id).session_token
        db.session.remove()
    with app.test_request_context(environ_base=client._copy_environ({})):
        identifier = login_manager._session_identifier_generator()
    now = int(time.time())
    with client.session_transaction() as session:
        session.clear()
        session["_user_id"] = token
        session["_fresh"] = True
        session["_id"] = identifier
        session[USER_ID] = user_id
        session[LOGIN_AT] = now
        session[LAST_SEEN] = now
        session.permanent = True


def logout(client) -> None:
    with client.session_transaction() as session:
        session.clear()


def change_own_password(client, current: str, new: str):
    """The signed-in customer changes their password on the profile page."""
    return submit(
        client,
        "/auth/profile/password",
        {"current_password": current, "new_password": new, "confirm": new},
        form_url="/auth/profile",
    )
