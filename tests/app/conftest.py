"""The config tests' clean environment: no `.env` behind it, none of our variables set."""

from __future__ import annotations

import decouple
import pytest

import config as config_module

MANAGED = (
    "APP_ENV",
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "TEST_DATABASE_URL",
    "DB_POOL_SIZE",
    "DB_MAX_OVERFLOW",
    "DB_POOL_RECYCLE",
    "DB_POOL_TIMEOUT",
    "ALLOWED_HOSTS",
    "PUBLIC_BASE_URL",
    "DUAL_CONTROL_THRESHOLD_CENTS",
    "ADJUSTMENT_MAX_CENTS",
    "SECRET_KEY_FILE",
    "SECRET_KEY_FALLBACKS",
    "SECRET_KEY_FALLBACKS_FILE",
    "DATABASE_URL_FILE",
    "REDIS_URL_FILE",
    "MAIL_PASSWORD",
    "MAIL_PASSWORD_FILE",
    "LOG_LEVEL",
)


@pytest.fixture
def environ(monkeypatch):
    """A clean environment with no `.env` file behind it; returns a setter."""
    monkeypatch.setattr(config_module, "_decouple", decouple.Config(decouple.RepositoryEmpty()))
    for name in MANAGED:
        monkeypatch.delenv(name, raising=False)

    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_env
