"""Every error renders the friendly page with the right status and never a traceback."""

from __future__ import annotations

import pytest
from flask import abort, request

from banking.app import create_app
from banking.extensions import csrf, db
from banking.web.errors import MESSAGES
from config import TestingConfig

# Extra apps re-bind the shared limiter: put it back after each test.
pytestmark = pytest.mark.usefixtures("restore_limiter")


SECRET_DETAIL = "internal detail: password=swordfish at /srv/app.py line 12"


@pytest.fixture
def error_app(app):
    new = create_app(TestingConfig())
    new.config["MAX_CONTENT_LENGTH"] = 1024

    for code in (400, 403, 404, 405, 413, 429, 500, 503):
        new.add_url_rule(f"/t/abort/{code}", f"abort_{code}", lambda code=code: abort(code))

    @new.get("/t/crash")
    def crash():
        raise RuntimeError(SECRET_DETAIL)

    @new.post("/t/upload")
    def upload():
        return str(len(request.form))

    csrf.exempt(upload)
    return new


def assert_friendly(response, status: int) -> None:
    assert response.status_code == status
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    title, _ = MESSAGES[status]
    assert f"<h1>{title}</h1>" in html
    assert f"Error {status}" in html
    assert "</html>" in html  # the full site layout, not a bare string
    assert "Traceback" not in html
    assert "swordfish" not in html


@pytest.mark.parametrize("status", [400, 403, 404, 405, 413, 429, 500, 503])
def test_each_error_renders_the_friendly_page(error_app, status):
    assert_friendly(error_app.test_client().get(f"/t/abort/{status}"), status)


def test_an_unknown_url_is_a_friendly_404(error_app):
    assert_friendly(error_app.test_client().get("/t/no/such/thing"), 404)


def test_a_wrong_method_is_a_friendly_405(error_app):
    assert_friendly(error_app.test_client().get("/t/upload"), 405)


def test_the_friendly_405_still_says_which_methods_are_allowed(client):
    response = client.post("/healthz")
    assert response.status_code == 405
    assert "Method not allowed" in response.get_data(as_text=True)
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_the_friendly_405_in_json_still_says_which_methods_are_allowed(client):
    response = client.post("/healthz", headers={"Accept": "application/json"})
    assert response.status_code == 405
    assert response.get_json() == {"error": "Method not allowed", "status": 405}
    assert "GET" in response.headers["Allow"]


def test_an_oversized_body_is_a_friendly_413(error_app):
    response = error_app.test_client().post("/t/upload", data={"blob": "x" * 4096})
    assert_friendly(response, 413)


def test_an_unexpected_exception_is_a_friendly_500_without_details(error_app):
    assert_friendly(error_app.test_client().get("/t/crash"), 500)


def test_the_500_handler_rolls_the_session_back(error_app, monkeypatch):
    calls = []
    original = db.session.rollback
    monkeypatch.setattr(db.session, "rollback", lambda: (calls.append(1), original())[1])
    error_app.test_client().get("/t/crash")
    assert calls


def test_errors_are_logged_by_type_only(error_app, caplog):
    with caplog.at_level("ERROR"):
        error_app.test_client().get("/t/crash")
    assert "swordfish" not in caplog.text
    assert any(getattr(r, "error_type", None) == "RuntimeError" for r in caplog.records)


def test_debug_is_off_outside_development(app):
    assert app.debug is False
    assert app.config["DEBUG"] is False
