"""Security headers on every response, HSTS and Secure cookies in production, ProxyFix, CSRF."""

from __future__ import annotations

import pytest
from flask import request

from banking.app import create_app
from config import TestingConfig

# Extra apps re-bind the shared limiter: put it back after each test.
pytestmark = pytest.mark.usefixtures("restore_limiter")


PATHS = ["/healthz", "/readyz", "/auth/login", "/", "/no-such-page", "/static/css/app.css"]


@pytest.fixture
def production_app(monkeypatch, app):
    """A production app; its services point at closed ports (these tests never reach them)."""
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "p" * 48)
    monkeypatch.setenv("DATABASE_URL", "postgresql://bank:pw@127.0.0.1:1/bank")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://bank.example.com")
    monkeypatch.setenv("ALLOWED_HOSTS", "localhost")  # the test client's Host
    return create_app()


def assert_baseline_headers(response) -> None:
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"]


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    assert_baseline_headers(response)
    assert "Strict-Transport-Security" not in response.headers


def test_error_and_redirect_responses_carry_the_headers_too(client):
    assert client.get("/").status_code in (301, 302, 303)
    assert_baseline_headers(client.get("/"))
    assert_baseline_headers(client.post("/healthz"))  # 405


def test_headers_a_view_sets_itself_are_kept_or_replaced_once():
    """The hook appends what is missing: a view's own Content-Security-Policy and
    Cache-Control stand, its framing or sniffing headers are replaced, never doubled."""
    from flask import Response

    app = create_app(TestingConfig())

    @app.get("/_own_headers")
    def own_headers():
        response = Response("<p>x</p>", mimetype="text/html")
        response.headers["Content-Security-Policy"] = "default-src 'none'"
        response.headers["Cache-Control"] = "private, max-age=5"
        response.headers["x-frame-options"] = "SAMEORIGIN"
        response.headers["X-Content-Type-Options"] = "sniff"
        return response

    headers = app.test_client().get("/_own_headers").headers

    assert headers.getlist("Content-Security-Policy") == ["default-src 'none'"]
    assert headers.getlist("Cache-Control") == ["private, max-age=5"]
    assert headers.getlist("X-Frame-Options") == ["DENY"]
    assert headers.getlist("X-Content-Type-Options") == ["nosniff"]
    assert headers.getlist("Cross-Origin-Opener-Policy") == ["same-origin"]


@pytest.mark.parametrize("path", ["/healthz", "/auth/login", "/no-such-page"])
def test_production_adds_hsts(production_app, path):
    response = production_app.test_client().get(path)
    assert_baseline_headers(response)
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_production_session_cookie_is_secure_httponly_lax(production_app):
    response = production_app.test_client().get("/auth/login")
    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("banking_session=")
    )
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_html_pages_are_not_stored_by_shared_caches(client):
    assert client.get("/auth/login").headers["Cache-Control"] == "no-store"


@pytest.fixture
def form_app(app):
    new = create_app(TestingConfig())

    @new.route("/t/form", methods=["GET", "POST"])
    def form():
        return f"remote={request.remote_addr} scheme={request.scheme}"

    return new


def test_a_post_without_a_csrf_token_is_refused_with_a_friendly_page(form_app):
    response = form_app.test_client().post("/t/form", data={"amount": "10"})
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_proxy_headers_are_ignored_when_no_proxy_is_trusted(form_app):
    response = form_app.test_client().get(
        "/t/form", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    )
    assert response.get_data(as_text=True) == "remote=127.0.0.1 scheme=http"


def test_proxy_fix_trusts_the_configured_number_of_proxies(app):
    config = TestingConfig()
    config.PROXY_FIX_COUNT = 1
    proxied = create_app(config)

    @proxied.get("/t/whoami")
    def whoami():
        return f"remote={request.remote_addr} scheme={request.scheme}"

    response = proxied.test_client().get(
        "/t/whoami", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    )
    assert response.get_data(as_text=True) == "remote=203.0.113.9 scheme=https"


def test_request_bodies_are_capped(app):
    assert 0 < app.config["MAX_CONTENT_LENGTH"] <= 16 * 1024 * 1024


def app_with_allowed_hosts(monkeypatch, value: str):
    monkeypatch.setenv("ALLOWED_HOSTS", value)
    return create_app(TestingConfig())


def test_a_request_for_a_host_not_in_allowed_hosts_gets_a_friendly_400(app, monkeypatch):
    client = app_with_allowed_hosts(monkeypatch, "bank.example.com, .branch.example").test_client()
    refused = client.get("/auth/login", headers={"Host": "evil.example"})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "<h1>Bad request</h1>" in page and "</html>" in page
    assert "evil.example" not in page
    assert_baseline_headers(refused)
    assert client.post("/auth/forgot", headers={"Host": "evil.example"}).status_code == 400
    for host in ("bank.example.com", "bank.example.com:8443", "north.branch.example"):
        assert client.get("/auth/login", headers={"Host": host}).status_code == 200, host


def test_without_allowed_hosts_any_host_is_served(app, monkeypatch):
    client = app_with_allowed_hosts(monkeypatch, "").test_client()
    for host in ("localhost", "bank.example.com", "anything.example"):
        assert client.get("/auth/login", headers={"Host": host}).status_code == 200, host
