"""Sign-up as a visitor does it now: the form, the emailed link, the confirm button.

Sign-up no longer signs anyone in (issue 12, item 5): the account works once the link
in the email is followed. These helpers read that email from the test outbox (the
"memory" mail backend) so tests can open a real, usable account through the pages.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from banking.services import email as email_service
from banking.services.email import Email
from tests.support.forms import csrf_from, submit

SIGNUP_PASSWORD = "plum tractor quietly sings"
VERIFY_LINK = re.compile(r"https?://\S+/auth/verify/\S+")
CHECK_EMAIL = "/auth/signup/check-email"


def sign_up(client, **overrides):
    data = {
        "full_name": "Grace Hopper",
        "email": "grace@example.com",
        "password": SIGNUP_PASSWORD,
        "confirm": SIGNUP_PASSWORD,
    }
    data.update(overrides)
    return submit(client, "/auth/signup", data)


def emails_to(address: str) -> list[Email]:
    return [m for m in email_service.outbox if m.to == address.strip().lower()]


def verification_path(address: str) -> str:
    """The path of the newest verification link emailed to `address`."""
    for message in reversed(emails_to(address)):
        match = VERIFY_LINK.search(message.body)
        if match:
            return urlsplit(match.group(0)).path
    raise AssertionError(f"no verification link was emailed to {address}")


def confirm(client, path: str, *, follow_redirects: bool = False):
    """Open the emailed link and press its button, as the owner would."""
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    token = csrf_from(page.get_data(as_text=True))
    return client.post(path, data={"csrf_token": token}, follow_redirects=follow_redirects)


def sign_up_and_sign_in(client, email: str = "grace@example.com", **overrides) -> None:
    """Sign up, follow the emailed link and sign in: a usable account, signed in."""
    password = overrides.get("password", SIGNUP_PASSWORD)
    response = sign_up(client, email=email, **overrides)
    assert response.status_code == 302 and response.headers["Location"] == CHECK_EMAIL
    assert confirm(client, verification_path(email)).status_code == 302
    signed_in = submit(client, "/auth/login", {"email": email, "password": password})
    assert signed_in.status_code == 302, "the confirmed account could not sign in"
