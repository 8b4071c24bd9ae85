"""Roles: admin_required sends anonymous users to sign in, customers to 403, and can demand 2FA."""

from __future__ import annotations

import logging

from flask_login import login_user

from banking.core.models import User
from banking.extensions import db
from banking.web.guards import admin_required
from tests.support.builders import PASSWORD, login, make_admin, make_customer
from tests.support.forms import submit
from tests.support.signup import sign_up_and_sign_in, verification_path
from tests.support.two_factor import sign_in_admin_with_two_factor


def test_anonymous_visitor_is_sent_to_sign_in(app, client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


def test_customer_gets_the_403_page_on_an_admin_route(app, client):
    customer = make_customer(app)
    login(client, customer.email)
    response = client.get("/admin/")
    assert response.status_code == 403
    assert "Not allowed" in response.get_data(as_text=True)


def test_admin_passes_the_decorator(app):
    admin = make_admin(app)

    @admin_required
    def secret_view():
        return "admin only"

    with app.test_request_context("/anything"):
        login_user(db.session.get(User, admin.id))
        assert secret_view() == "admin only"


def test_customer_fails_the_decorator(app):
    customer = make_customer(app)

    @admin_required
    def secret_view():
        return "admin only"

    with app.test_request_context("/anything"):
        login_user(db.session.get(User, customer.id))
        try:
            secret_view()
        except Exception as exc:  # werkzeug's Forbidden
            assert getattr(exc, "code", None) == 403
        else:
            raise AssertionError("a customer passed admin_required")


def test_admin_without_2fa_is_sent_to_enroll_when_required(app, client):
    app.config["ADMIN_REQUIRES_2FA"] = True
    admin = make_admin(app)
    response = login(client, admin.email)
    assert response.headers["Location"] == "/auth/two-factor/setup"
    blocked = client.get("/admin/")
    assert blocked.status_code == 302
    assert blocked.headers["Location"] == "/auth/two-factor/setup"


def test_admin_with_2fa_may_not_turn_it_off_when_required(app, client):
    app.config["ADMIN_REQUIRES_2FA"] = True
    sign_in_admin_with_two_factor(app, client)
    assert client.get("/auth/two-factor/disable").status_code == 403


def test_nothing_sensitive_reaches_the_logs(app, client, caplog):
    caplog.set_level(logging.DEBUG)
    password = "lemon glacier orbit parade"
    sign_up_and_sign_in(
        client, "logs@example.com", full_name="Log Tester", password=password, confirm=password
    )
    verify_token = verification_path("logs@example.com").rsplit("/", 1)[1]
    submit(client, "/auth/logout", form_url="/auth/profile")
    login(client, "logs@example.com", "wrong guess for the logs")
    login(client, "logs@example.com", password)
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert caplog.records, "expected access log lines"
    assert password not in logged
    assert "wrong guess for the logs" not in logged
    assert verify_token not in logged  # the one-time sign-up link
    assert PASSWORD not in logged
    with client.session_transaction() as session:
        token = session.get("_user_id")
    assert token and token not in logged


def test_admin_lands_on_the_admin_overview_after_sign_in(app, client):
    admin = make_admin(app)
    response = login(client, admin.email)
    assert response.headers["Location"] == "/admin/"
