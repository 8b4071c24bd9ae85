"""Staging and production refuse unsafe settings under flask and gunicorn: one line, exit 3."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GOOD_SECRET = "g" * 48
VALID = {
    "SECRET_KEY": GOOD_SECRET,
    "DATABASE_URL": "postgresql://bank:pw@127.0.0.1:1/bank",
    "REDIS_URL": "redis://127.0.0.1:1/0",
    "PUBLIC_BASE_URL": "https://bank.example.com",
}
COMMANDS = {
    "flask": [str(BIN / "flask"), "--app", "wsgi", "routes"],
    "gunicorn": [str(BIN / "gunicorn"), "--bind", "127.0.0.1:0", "wsgi:app"],
}
CASES = [
    pytest.param({"SECRET_KEY": None}, "SECRET_KEY is not set", id="missing-secret"),
    pytest.param({"SECRET_KEY": "short-secret"}, "at least 32 characters", id="short-secret"),
    pytest.param({"SECRET_KEY": "dev-insecure-change-me"}, "placeholder", id="placeholder"),
    pytest.param({"DATABASE_URL": None}, "DATABASE_URL is not set", id="missing-database"),
    pytest.param({"REDIS_URL": None}, "REDIS_URL is not set", id="missing-redis"),
    pytest.param({"PUBLIC_BASE_URL": None}, "PUBLIC_BASE_URL is not set", id="missing-base-url"),
    pytest.param(
        {"PUBLIC_BASE_URL": "bank.example.com"}, "absolute http(s) URL", id="relative-base-url"
    ),
]


def run(command: list[str], app_env: str, overrides: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in VALID and not k.startswith("TEST_")}
    env.update({"APP_ENV": app_env, **VALID})
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    # gunicorn reads ./gunicorn.conf.py from the working directory, as in production.
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("server", ["flask", "gunicorn"])
@pytest.mark.parametrize(("overrides", "reason"), CASES)
def test_production_refuses_to_start(server, overrides, reason):
    result = run(COMMANDS[server], "production", overrides)
    assert result.returncode != 0
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("banking: refusing to start: production:")
    assert reason in errors[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert "Booting worker" not in result.stdout  # refused in the master, before forking


@pytest.mark.parametrize("server", ["flask", "gunicorn"])
def test_staging_refuses_a_missing_secret_too(server):
    result = run(COMMANDS[server], "staging", {"SECRET_KEY": None})
    assert result.returncode != 0
    assert result.stderr.strip() == "banking: refusing to start: staging: SECRET_KEY is not set"


@pytest.mark.parametrize("server", ["flask", "gunicorn"])
def test_an_unknown_app_env_is_refused_naming_the_valid_values(server):
    result = run(COMMANDS[server], "prod", {})
    assert result.returncode != 0
    (line,) = result.stderr.strip().splitlines()
    assert "development, testing, staging, production" in line


def test_preloaded_gunicorn_refuses_as_well():
    command = [*COMMANDS["gunicorn"], "--preload"]
    result = run(command, "production", {"SECRET_KEY": "short"})
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    assert "at least 32 characters" in result.stderr


def test_a_valid_production_config_passes_the_flask_check():
    result = run(COMMANDS["flask"], "production", {})
    assert result.returncode == 0, result.stderr
    assert "/readyz" in result.stdout
