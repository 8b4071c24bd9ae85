"""Password reset: same answer for every email, signed single-use links that expire."""

from __future__ import annotations

import re
import time

from itsdangerous import TimestampSigner
from sqlalchemy import select

from banking.core.models import AuditEvent
from banking.extensions import db
from banking.services import auth_events as events
from banking.services import email as email_service
from tests.support.builders import PASSWORD, login, make_customer
from tests.support.forms import submit
from tests.support.jobs import failed_jobs

NEW_PASSWORD = "violet harbour lantern drift"


def request_reset(client, email):
    return submit(client, "/auth/forgot", {"email": email})


def reset_link() -> str:
    body = email_service.outbox[-1].body
    return re.search(r"http://[^/]+(/auth/reset/\S+)", body).group(1)


def choose(client, link, password=NEW_PASSWORD):
    return submit(client, link, {"password": password, "confirm": password})


def test_forgot_password_answers_the_same_for_known_and_unknown_emails(app, client):
    customer = make_customer(app)
    known = request_reset(client, customer.email)
    unknown = request_reset(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    known_page = client.get(known.headers["Location"]).get_data(as_text=True)
    assert "If an account uses that email" in known_page
    request_reset(client, "nobody@example.com")
    unknown_page = client.get(unknown.headers["Location"]).get_data(as_text=True)
    assert "If an account uses that email" in unknown_page
    assert [m.to for m in email_service.outbox] == [customer.email]


def test_reset_link_sets_a_new_password_and_is_audited(app, client):
    customer = make_customer(app)
    request_reset(client, customer.email)
    response = choose(client, reset_link())
    assert response.headers["Location"] == "/auth/login"
    assert login(app.test_client(), customer.email, NEW_PASSWORD).status_code == 302
    assert login(app.test_client(), customer.email, PASSWORD).status_code == 200
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert events.PASSWORD_RESET_REQUEST in actions
    assert events.PASSWORD_RESET in actions


def test_reset_link_works_only_once(app, client):
    customer = make_customer(app)
    request_reset(client, customer.email)
    link = reset_link()
    choose(client, link)
    again = client.get(link)
    assert again.status_code == 400
    assert "This link no longer works" in again.get_data(as_text=True)


def test_reset_link_expires_after_the_configured_minutes(app, client, monkeypatch):
    customer = make_customer(app)
    thirty_one_minutes_ago = int(time.time()) - 31 * 60
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: thirty_one_minutes_ago)
    request_reset(client, customer.email)
    monkeypatch.undo()
    assert client.get(reset_link()).status_code == 400


def test_reset_link_still_works_within_the_window(app, client, monkeypatch):
    customer = make_customer(app)
    twenty_nine_minutes_ago = int(time.time()) - 29 * 60
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: twenty_nine_minutes_ago)
    request_reset(client, customer.email)
    monkeypatch.undo()
    assert client.get(reset_link()).status_code == 200


def test_reset_link_dies_after_any_password_change(app, client):
    customer = make_customer(app)
    request_reset(client, customer.email)
    link = reset_link()
    login(client, customer.email)
    submit(
        client,
        "/auth/profile/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        form_url="/auth/profile",
    )
    assert app.test_client().get(link).status_code == 400


def test_tampered_reset_link_is_refused(app, client):
    customer = make_customer(app)
    request_reset(client, customer.email)
    assert client.get(reset_link() + "x").status_code == 400


def test_reset_applies_the_password_rules(app, client):
    customer = make_customer(app)
    request_reset(client, customer.email)
    response = choose(client, reset_link(), "qwertyuiop123")
    assert "too common" in response.get_data(as_text=True)


def test_reset_signs_out_existing_sessions(app, client):
    customer = make_customer(app)
    login(client, customer.email)
    other = app.test_client()
    request_reset(other, customer.email)
    choose(other, reset_link())
    assert client.get("/auth/profile").status_code == 302


def test_reset_requests_are_rate_limited(app, client):
    app.config["RESET_RATE_LIMIT"] = "2/minute"
    request_reset(client, "a@example.com")
    request_reset(client, "b@example.com")
    response = request_reset(client, "c@example.com")
    assert response.status_code == 429


def test_reset_email_body_never_reaches_the_logs(app, client, caplog):
    customer = make_customer(app)
    caplog.set_level("DEBUG")
    request_reset(client, customer.email)
    token = reset_link().rsplit("/", 1)[1]
    choose(client, reset_link())
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert token not in logged
    assert NEW_PASSWORD not in logged


def smtp_down(app, monkeypatch) -> None:
    """Staging's mail backend, with the SMTP server refusing connections."""
    from banking.services import email as email_module

    def refuse(*_args, **_kwargs):
        raise ConnectionRefusedError("[Errno 111] Connection refused")

    app.config["MAIL_BACKEND"] = "smtp"
    monkeypatch.setattr(email_module.smtplib, "SMTP", refuse)


def test_forgot_password_answers_the_same_when_the_mail_server_is_down(
    app, client, monkeypatch, caplog
):
    customer = make_customer(app)
    smtp_down(app, monkeypatch)
    known = request_reset(client, customer.email)
    unknown = request_reset(app.test_client(), "nobody@example.com")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"] == "/auth/login"
    assert "If an account uses that email" in client.get("/auth/login").get_data(as_text=True)
    # Only the worker (here: run eagerly, after the answer was built) found out which
    # address has an account; its failed delivery waits for an admin to retry it.
    (job,) = failed_jobs(app)
    assert job.task_name == "banking.send_reset_for_address"
    assert job.error_type == "ConnectionRefusedError"
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "/auth/reset/" not in logged and customer.email not in logged


def test_a_reset_that_succeeded_is_not_an_error_when_the_confirmation_email_fails(
    app, client, monkeypatch
):
    customer = make_customer(app)
    request_reset(client, customer.email)
    link = reset_link()
    smtp_down(app, monkeypatch)
    response = choose(client, link)
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    assert login(app.test_client(), customer.email, NEW_PASSWORD).status_code == 302
