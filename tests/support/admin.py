"""Helpers for the admin tests: sign in as an admin and walk the reason -> confirm flow."""

from __future__ import annotations

import html
import re

from flask import Flask

from tests.support.builders import make_admin, make_customer
from tests.support.forms import submit
from tests.support.sessions import login_as

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def admin_client(app: Flask, client):
    """Sign `client` in as a new admin; returns the admin."""
    admin = make_admin(app)
    login_as(client, app, admin.id)
    return admin


def customer_client(app: Flask, client, **kwargs):
    customer = make_customer(app, **kwargs)
    login_as(client, app, customer.id)
    return customer


def start_action(client, url: str, data: dict):
    """Step one: load the form and send it; a valid form answers with the confirm page."""
    return submit(client, url, data)


def confirm_action(client, url: str, data: dict, *, follow_redirects: bool = True):
    """Both steps, as an admin clicking through: form, then the confirmation page's button."""
    page = start_action(client, url, data)
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Confirm:" in body, body[:2000]
    fields = {name: html.unescape(value) for name, value in HIDDEN.findall(body)}
    assert fields.get("confirmed") == "yes"
    return client.post(url, data=fields, follow_redirects=follow_redirects)


NEXT_LINK = re.compile(r'<a href="([^"]+)" rel="next">')


def walk_pages(client, url: str) -> list[str]:
    """Follow the pager's "Next page" links from `url`; returns every page's HTML."""
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        pages.append(body)
        match = NEXT_LINK.search(body)
        url = html.unescape(match.group(1)) if match else None
    return pages
