"""The application factory wires each extension, blueprint, handler and command once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from banking.app import create_app
from banking.extensions import cache, db
from banking.web.errors import MESSAGES
from config import ConfigError, TestingConfig
from tests.support.builders import PASSWORD, balance_of, login

ROOT = Path(__file__).resolve().parents[2]

# Extra apps re-bind the shared limiter: put it back after each test.
pytestmark = pytest.mark.usefixtures("restore_limiter")


def test_factory_accepts_a_config_instance_or_an_environment_name():
    from_instance = create_app(TestingConfig())
    assert from_instance.config["ENV_NAME"] == "testing"
    assert from_instance.test_client().get("/healthz").status_code == 200
    assert create_app("testing").config["ENV_NAME"] == "testing"


def test_factory_refuses_an_unknown_environment():
    with pytest.raises(ConfigError, match="development, testing, staging, production"):
        create_app("qa")


def test_factory_binds_every_extension(app, client, alice):
    """Each extension does its job in this app, not merely sits in `app.extensions`."""
    assert balance_of(app, alice.account_id) == 10000  # SQLAlchemy: the app's database
    current = app.test_cli_runner().invoke(args=["db", "current"])  # Migrate: reads the db
    assert current.exit_code == 0, current.output
    with app.app_context():  # Caching
        cache.set("factory-probe", 42)
        assert cache.get("factory-probe") == 42
    signed_out = client.get("/")  # Login: the dashboard sends a visitor to sign in
    assert signed_out.status_code == 302
    assert signed_out.headers["Location"].startswith("/auth/login")
    no_token = client.post("/auth/login", data={"email": alice.email, "password": PASSWORD})
    assert no_token.status_code == 400  # CSRF: a form without its token is refused
    app.config["LOGIN_RATE_LIMIT"] = "2/minute"  # Limiter: the third try is refused
    statuses = [login(client, "nobody@example.com", "wrong").status_code for _ in range(3)]
    assert statuses[-1] == 429 and 429 not in statuses[:2]


def test_extensions_are_shared_singletons_across_apps(app, alice):
    """The one `db` serves a second app too, and binding it there leaves the first working."""
    other = create_app(TestingConfig())
    with other.app_context():
        assert db.session.execute(select(1)).scalar() == 1
    assert balance_of(app, alice.account_id) == 10000
    assert app.test_client().get("/healthz").status_code == 200


def test_factory_registers_the_blueprints(app, client):
    """Each blueprint answers at its URLs (health, auth, accounts; admin asks to sign in)."""
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert "csrf_token" in client.get("/auth/login").get_data(as_text=True)
    for page in ("/", "/admin/"):
        response = client.get(page)
        assert response.status_code == 302, page
        assert response.headers["Location"].startswith("/auth/login"), page


def test_factory_registers_error_handlers_for_http_errors_and_crashes(client):
    """An unknown URL and an unexpected exception both get the site's own pages."""
    missing = client.get("/no/such/page")
    assert missing.status_code == 404
    assert f"<h1>{MESSAGES[404][0]}</h1>" in missing.get_data(as_text=True)
    crashing = create_app(TestingConfig())

    @crashing.get("/t/crash")
    def crash():
        raise RuntimeError("boom")

    response = crashing.test_client().get("/t/crash")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert f"<h1>{MESSAGES[500][0]}</h1>" in body and "boom" not in body


def test_migration_commands_are_available(runner):
    result = runner.invoke(args=["db", "--help"])
    assert result.exit_code == 0
    assert "upgrade" in result.output


def test_a_server_process_does_not_load_the_migration_tooling(tmp_path):
    """Flask-Migrate brings Alembic, Mako and Pygments (~11 MB a process): a web or Celery
    worker builds the app without them; only a `flask db` command loads them."""
    code = (
        "import sys; from banking.app import create_app; app = create_app('testing'); "
        "print('LOADED', sorted(m for m in ('flask_migrate', 'alembic', 'mako', 'pygments') "
        "if m in sys.modules)); "
        "result = app.test_cli_runner().invoke(args=['db', 'heads']); "
        "print('DB', result.exit_code, 'alembic' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "APP_ENV": "testing"}
    env.pop("TEST_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    marked = [line for line in done.stdout.splitlines() if line.startswith(("LOADED", "DB"))]
    assert marked == ["LOADED []", "DB 0 True"], done.stdout


def test_testing_config_keeps_csrf_on_and_email_in_memory(app):
    assert app.config["WTF_CSRF_ENABLED"] is True
    assert app.config["MAIL_BACKEND"] == "memory"
    assert app.config["TESTING"] is True
    assert app.debug is False
