"""Secrets from files (NAME_FILE) and SECRET_KEY rotation through SECRET_KEY_FALLBACKS."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from banking.services import email as email_service
from config import ConfigError, load_config
from tests.support.builders import login, make_customer
from tests.support.forms import submit
from tests.support.signup import (
    CHECK_EMAIL,
    SIGNUP_PASSWORD,
    confirm,
    sign_up,
    verification_path,
)

ROOT = Path(__file__).resolve().parents[2]
OLD_KEY = "o" * 48
NEW_KEY = "n" * 48
SECRET_VALUE = "q8Zr-the-value-itself-must-never-be-printed-0123456789"



def secret_file(tmp_path: Path, name: str, content: str, mode: int = 0o600) -> str:
    path = tmp_path / name
    path.write_text(content)
    path.chmod(mode)
    return str(path)


def production(environ, **values: str) -> None:
    settings = {
        "APP_ENV": "production",
        "SECRET_KEY": NEW_KEY,
        "DATABASE_URL": "postgresql://bank:pw@db.internal:5432/bank",
        "REDIS_URL": "redis://cache.internal:6379/0",
        "PUBLIC_BASE_URL": "https://bank.example.com",
    }
    settings.update(values)
    environ(**{k: v for k, v in settings.items() if v is not None})


def test_every_secret_can_come_from_a_file(environ, tmp_path):
    production(
        environ,
        SECRET_KEY=None,
        DATABASE_URL=None,
        REDIS_URL=None,
        SECRET_KEY_FILE=secret_file(tmp_path, "key", NEW_KEY + "\n"),
        DATABASE_URL_FILE=secret_file(tmp_path, "db", "postgresql://bank:s3cr3t@db:5432/bank\n"),
        REDIS_URL_FILE=secret_file(tmp_path, "redis", "redis://:pw@cache:6379/0"),
        MAIL_PASSWORD_FILE=secret_file(tmp_path, "mail", "smtp-pass\n"),
        SECRET_KEY_FALLBACKS_FILE=secret_file(tmp_path, "old", f"{OLD_KEY}\n{'p' * 40}\n"),
    )
    config = load_config()
    assert config.SECRET_KEY == NEW_KEY  # the trailing newline of `echo` is not part of it
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://bank:s3cr3t@db:5432/bank"
    assert config.REDIS_URL == "redis://:pw@cache:6379/0"
    assert config.MAIL_PASSWORD == "smtp-pass"
    assert config.SECRET_KEY_FALLBACKS == [OLD_KEY, "p" * 40]


@pytest.mark.parametrize("name", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "MAIL_PASSWORD"])
def test_a_secret_set_both_ways_is_refused(environ, tmp_path, name):
    production(environ, **{name: SECRET_VALUE, f"{name}_FILE": secret_file(tmp_path, "s", "x")})
    with pytest.raises(ConfigError) as error:
        load_config()
    assert f"{name} and {name}_FILE are both set" in str(error.value)
    assert SECRET_VALUE not in str(error.value)


@pytest.mark.parametrize(
    ("make_path", "problem"),
    [
        (lambda tmp: str(tmp / "missing"), "is not a readable file"),
        (lambda tmp: str(tmp), "is not a readable file"),
        (lambda tmp: secret_file(tmp, "empty", "\n"), "is empty"),
    ],
)
def test_an_unusable_secret_file_is_a_clear_error_naming_the_variable(
    environ, tmp_path, make_path, problem
):
    path = make_path(tmp_path)
    production(environ, SECRET_KEY=None, SECRET_KEY_FILE=path)
    with pytest.raises(ConfigError) as error:
        load_config()
    assert str(error.value).startswith(f"SECRET_KEY_FILE: {path}")
    assert problem in str(error.value)


def test_production_refuses_a_secret_file_every_user_can_read(environ, tmp_path):
    path = secret_file(tmp_path, "key", SECRET_VALUE, mode=0o644)
    production(environ, SECRET_KEY=None, SECRET_KEY_FILE=path)
    with pytest.raises(ConfigError) as error:
        load_config()
    message = str(error.value)
    assert "SECRET_KEY_FILE" in message and "readable by every user" in message
    assert SECRET_VALUE not in message


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o440, 0o400])
def test_production_accepts_a_secret_file_for_its_owner_and_group(environ, tmp_path, mode):
    production(environ, SECRET_KEY=None, SECRET_KEY_FILE=secret_file(tmp_path, "k", NEW_KEY, mode))
    assert load_config().SECRET_KEY == NEW_KEY


def test_staging_and_development_do_not_insist_on_file_modes(environ, tmp_path):
    path = secret_file(tmp_path, "key", NEW_KEY, mode=0o644)
    production(environ, APP_ENV="staging", SECRET_KEY=None, SECRET_KEY_FILE=path)
    assert load_config().SECRET_KEY == NEW_KEY


def test_a_weak_fallback_key_is_refused_on_servers(environ):
    production(environ, SECRET_KEY_FALLBACKS=f"{OLD_KEY},short")
    with pytest.raises(ConfigError, match="SECRET_KEY_FALLBACKS"):
        load_config()


def test_the_app_refuses_to_start_on_an_unreadable_secret_file_in_one_line(tmp_path):
    """What an operator sees: one line naming the variable, no traceback, exit code 3."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "SECRET_KEY"))}
    env.update(
        APP_ENV="production",
        SECRET_KEY_FILE=str(tmp_path / "absent"),
        DATABASE_URL="postgresql://bank:pw@127.0.0.1:1/bank",
        REDIS_URL="redis://127.0.0.1:1/0",
        PUBLIC_BASE_URL="https://bank.example.com",
    )
    started = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode == 3
    assert started.stderr.strip().splitlines() == [
        f"banking: refusing to start: SECRET_KEY_FILE: {tmp_path / 'absent'} "
        "is not a readable file"
    ]


# --- rotation: the previous key keeps sessions and emailed links valid -------------


def rotate(app, *, keep_old: bool) -> None:
    """What an operator does: new SECRET_KEY, the old one in SECRET_KEY_FALLBACKS."""
    app.config["SECRET_KEY"] = NEW_KEY
    app.config["SECRET_KEY_FALLBACKS"] = [OLD_KEY] if keep_old else []


@pytest.fixture
def old_key(app):
    saved = app.config["SECRET_KEY"], app.config.get("SECRET_KEY_FALLBACKS", [])
    app.config["SECRET_KEY"] = OLD_KEY
    app.config["SECRET_KEY_FALLBACKS"] = []
    yield
    app.config["SECRET_KEY"], app.config["SECRET_KEY_FALLBACKS"] = saved


@pytest.mark.parametrize("keep_old", [True, False])
def test_rotating_the_key_keeps_signed_in_customers_signed_in(app, client, old_key, keep_old):
    customer = make_customer(app)
    assert login(client, customer.email).status_code == 302
    assert client.get("/").status_code == 200
    rotate(app, keep_old=keep_old)
    page = client.get("/")
    if keep_old:
        assert page.status_code == 200
        assert customer.full_name in page.get_data(as_text=True)
    else:  # the control: without the fallback the old cookie is worthless
        assert page.status_code == 302 and "/auth/login" in page.headers["Location"]


def reset_path() -> str:
    body = email_service.outbox[-1].body
    return re.search(r"https?://[^/]+(/auth/reset/\S+)", body).group(1)


@pytest.mark.parametrize("keep_old", [True, False])
def test_a_reset_link_mailed_before_the_rotation_still_works(app, client, old_key, keep_old):
    customer = make_customer(app)
    submit(client, "/auth/forgot", {"email": customer.email})
    link = reset_path()
    rotate(app, keep_old=keep_old)
    if not keep_old:  # the control: without the fallback the link is refused
        assert client.get(link).status_code == 400
        return
    new_password = "violet harbour lantern drift"
    answer = submit(client, link, {"password": new_password, "confirm": new_password})
    assert answer.status_code == 302
    assert login(app.test_client(), customer.email, new_password).status_code == 302


@pytest.mark.parametrize("keep_old", [True, False])
def test_a_verification_link_mailed_before_the_rotation_still_works(
    app, client, old_key, keep_old
):
    email = "rotating.grace@example.com"
    assert sign_up(client, email=email).headers["Location"] == CHECK_EMAIL
    path = verification_path(email)
    rotate(app, keep_old=keep_old)
    other_browser = app.test_client()
    if keep_old:
        assert confirm(other_browser, path).status_code == 302
        assert login(other_browser, email, SIGNUP_PASSWORD).status_code == 302
    else:
        assert other_browser.get(path).status_code == 400  # "this link is not valid"
