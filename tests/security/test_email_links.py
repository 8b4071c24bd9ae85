"""Emailed links come from PUBLIC_BASE_URL, never from the request (reset-link poisoning).

`POST /auth/forgot` with `Host: evil.example` used to email the victim a link to
`http://evil.example/auth/reset/<token>` whose token worked on the real site.
"""

from __future__ import annotations

import re

from banking.public_urls import public_url
from banking.services import email as email_service
from tests.support.builders import make_customer
from tests.support.forms import submit

FORGED = "evil.example"


def links_in_last_email() -> list[str]:
    return re.findall(r"https?://\S+", email_service.outbox[-1].body)


def test_a_forged_host_gets_a_reset_link_to_the_configured_base_url(app, client):
    app.config["PUBLIC_BASE_URL"] = "https://bank.example.com"
    customer = make_customer(app)
    response = submit(client, "/auth/forgot", {"email": customer.email}, headers={"Host": FORGED})
    assert response.status_code == 302
    links = links_in_last_email()
    assert len(links) == 1
    assert links[0].startswith("https://bank.example.com/auth/reset/")
    assert FORGED not in email_service.outbox[-1].body


def test_forwarded_host_and_scheme_headers_do_not_steer_the_link_either(app, client):
    app.config["PUBLIC_BASE_URL"] = "https://bank.example.com"
    customer = make_customer(app)
    submit(
        client,
        "/auth/forgot",
        {"email": customer.email},
        headers={"X-Forwarded-Host": FORGED, "X-Forwarded-Proto": "http"},
    )
    assert links_in_last_email()[0].startswith("https://bank.example.com/auth/reset/")


def test_a_base_url_with_a_path_prefix_keeps_it(app):
    app.config["PUBLIC_BASE_URL"] = "https://example.com/bank"
    with app.app_context():
        assert public_url("auth.login") == "https://example.com/bank/auth/login"


def test_links_can_be_built_outside_any_request(app):
    """The CLI and a background worker have no Host at all."""
    with app.app_context():
        assert public_url("auth.reset_password", token="t") == "http://localhost/auth/reset/t"


def test_production_refuses_a_forged_host_outright(app, monkeypatch, restore_limiter):
    """Staging and production always check the Host: a forged one gets the friendly 400."""
    from banking.app import create_app

    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "p" * 48)
    monkeypatch.setenv("DATABASE_URL", "postgresql://bank:pw@127.0.0.1:1/bank")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://bank.example.com")
    monkeypatch.delenv("ALLOWED_HOSTS", raising=False)
    production = create_app()
    client = production.test_client()
    refused = client.post("/auth/forgot", headers={"Host": FORGED})
    assert refused.status_code == 400
    assert FORGED not in refused.get_data(as_text=True)
    served = client.get(
        "/healthz", headers={"Host": "bank.example.com"}, base_url="https://bank.example.com"
    )
    assert served.status_code == 200
