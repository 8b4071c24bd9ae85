"""Every admin route is for admins only: proven by walking the whole URL map."""

from __future__ import annotations

import pytest

from banking.extensions import db
from banking.services.actor import Actor
from banking.services.admin import users
from tests.support.admin import admin_client
from tests.support.builders import get_user, make_admin, make_customer
from tests.support.forms import csrf_from
from tests.support.jobs import make_failed_job
from tests.support.ledger import send
from tests.support.sessions import login_as


def _admin_urls(app, ids: dict[str, int]) -> list[tuple[str, set[str]]]:
    urls = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("admin."):
                continue
            assert "GET" in rule.methods, f"{rule.endpoint} has no GET page"
            args = {name: ids[name] for name in rule.arguments}
            urls.append((url_for(rule.endpoint, **args), set(rule.methods)))
    return urls


@pytest.fixture
def every_admin_url(app):
    """Every admin URL, with real ids filled in (a held transfer for the review routes)."""
    from banking.core.ledger import Limits

    alice = make_customer(app, "Alice Able", balance="500.00")
    bob = make_customer(app, "Bob Baker")
    held = send(
        app,
        alice.account_id,
        bob.account_id,
        30_000,
        initiator_id=alice.id,
        owner_id=alice.id,
        limits=Limits(review_threshold=10_000),
    )
    maker = make_admin(app, "Mark Maker")
    with app.app_context():
        pending = users.lock_user(maker.id, actor=Actor.web(make_admin(app).id), reason="left")
        pending_id = pending.id
        db.session.remove()
    ids = {
        "user_id": bob.id,
        "account_id": bob.account_id,
        "transaction_id": held.transaction_id,
        "action_id": pending_id,
        "job_id": make_failed_job(app),
    }
    urls = _admin_urls(app, ids)
    assert len(urls) >= 20
    return urls


def test_anonymous_visitors_are_sent_to_sign_in_from_every_admin_page(client, every_admin_url):
    for url, _methods in every_admin_url:
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/auth/login" in response.headers["Location"], url


def test_customers_get_forbidden_on_every_admin_page(app, client, every_admin_url):
    customer = make_customer(app, "Carl Customer")
    login_as(client, app, customer.id)
    for url, _methods in every_admin_url:
        response = client.get(url)
        assert response.status_code == 403, url
        assert "permission" in response.get_data(as_text=True), url


def test_admins_can_open_every_admin_page(app, client, every_admin_url):
    admin_client(app, client)
    for url, _methods in every_admin_url:
        response = client.get(url)
        assert response.status_code == 200, url


def test_customers_cannot_post_admin_actions_even_with_a_valid_csrf_token(
    app, client, every_admin_url
):
    customer = make_customer(app, "Carl Customer")
    login_as(client, app, customer.id)
    token = csrf_from(client.get("/").get_data(as_text=True))  # the sign-out form's token
    for url, methods in every_admin_url:
        if "POST" not in methods:
            continue
        response = client.post(
            url, data={"csrf_token": token, "reason": "because", "confirmed": "yes"}
        )
        assert response.status_code == 403, url
    assert get_user(app, customer.id).is_locked is False


def test_admin_without_two_factor_is_sent_to_enrol_when_required(app, client):
    app.config["ADMIN_REQUIRES_2FA"] = True
    admin_client(app, client)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin" not in response.headers["Location"]
