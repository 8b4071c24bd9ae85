"""Development's mailbox page (/dev/mail): there in development, a 404 everywhere else.

The page lists every recent email, one-time links included, to anyone: it must not
exist outside development. In development it is what makes the sign-up link easy to
reach, and the "check your email" page links to it there only.
"""

from __future__ import annotations

import pytest
from flask_migrate import upgrade

from banking.app import create_app
from banking.extensions import limiter
from banking.services import email as email_service
from banking.services.email import send_email
from config import DevelopmentConfig, ProductionConfig
from tests.support.forms import csrf_from, submit
from tests.support.signup import CHECK_EMAIL, SIGNUP_PASSWORD, emails_to, sign_up


@pytest.fixture(autouse=True)
def _restore_shared_state(app):
    """Extra apps re-bind the shared limiter; the dev mailbox is process-wide."""
    saved = dict(limiter.__dict__)
    email_service.recent.clear()
    yield
    email_service.recent.clear()
    limiter.__dict__.clear()
    limiter.__dict__.update(saved)


@pytest.fixture
def dev_app(monkeypatch, tmp_path):
    """A development app on its own migrated SQLite file (no server needed, as in `make run`)."""
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'dev.db'}")
    monkeypatch.setenv("MAIL_BACKEND", "log")
    monkeypatch.setenv("ARGON2_TIME_COST", "1")
    monkeypatch.setenv("ARGON2_MEMORY_COST", "1024")
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    app = create_app(DevelopmentConfig())
    with app.app_context():
        upgrade()
    return app


@pytest.fixture
def production_app(monkeypatch):
    """A production app; its services point at closed ports (never reached here)."""
    monkeypatch.setenv("SECRET_KEY", "p" * 48)
    monkeypatch.setenv("DATABASE_URL", "postgresql://bank:pw@127.0.0.1:1/bank")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    return create_app(ProductionConfig())


def test_the_dev_mail_page_is_a_404_in_testing(app, client):
    sign_up(client, email="grace@example.com")
    assert emails_to("grace@example.com")  # a message waits, yet no page shows it
    assert client.get("/dev/mail").status_code == 404
    assert client.get("/dev/mail/").status_code == 404


def test_the_dev_mail_page_is_a_404_in_production(production_app):
    client = production_app.test_client()
    assert client.get("/dev/mail").status_code == 404
    assert client.get("/dev/mail/").status_code == 404


def test_check_your_email_links_to_the_dev_mailbox_in_development_only(app, client, dev_app):
    assert "/dev/mail" not in client.get(CHECK_EMAIL).get_data(as_text=True)
    dev_page = dev_app.test_client().get(CHECK_EMAIL).get_data(as_text=True)
    assert 'href="/dev/mail"' in dev_page


def test_the_dev_mail_page_lists_the_emails_sent(dev_app, capsys):
    with dev_app.test_request_context():
        send_email("first@example.com", "First <subject>", "Hello\nhttp://localhost/x?a=1&b=2")
        send_email("second@example.com", "Second subject", "No link here")
    assert "first@example.com" in capsys.readouterr().err  # still printed to stderr
    page = dev_app.test_client().get("/dev/mail").get_data(as_text=True)
    assert page.index("second@example.com") < page.index("first@example.com")  # newest first
    assert "First &lt;subject&gt;" in page
    assert 'href="http://localhost/x?a=1&amp;b=2"' in page


def test_a_development_sign_up_is_finished_from_the_dev_mail_page(dev_app):
    client = dev_app.test_client()
    response = sign_up(client, email="dev@example.com")
    assert response.headers["Location"] == CHECK_EMAIL
    page = client.get("/dev/mail").get_data(as_text=True)
    assert "dev@example.com" in page
    base = dev_app.config["PUBLIC_BASE_URL"]  # emailed links never come from the request
    assert base == "http://127.0.0.1:5000"
    link = page.split(f'href="{base}/auth/verify/', 1)[1].split('"', 1)[0]
    path = f"/auth/verify/{link}"
    form = client.get(path).get_data(as_text=True)
    client.post(path, data={"csrf_token": csrf_from(form)})
    signed_in = submit(
        client, "/auth/login", {"email": "dev@example.com", "password": SIGNUP_PASSWORD}
    )
    assert signed_in.status_code == 302
    assert client.get("/").status_code == 200
