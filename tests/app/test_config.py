"""Config selection by APP_ENV, the staging/production refusals, URLs and pool options."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import config as config_module
from config import (
    DEV_SECRET_PLACEHOLDER,
    ConfigError,
    DevelopmentConfig,
    ProductionConfig,
    StagingConfig,
    load_config,
    normalize_database_url,
)

GOOD_SECRET = "s" * 40
PG_URL = "postgresql://bank:pw@db.internal:5432/bank"
REDIS_URL = "redis://cache.internal:6379/0"


def server_env(set_env, app_env: str = "production", **overrides: str) -> None:
    values = {
        "APP_ENV": app_env,
        "SECRET_KEY": GOOD_SECRET,
        "DATABASE_URL": PG_URL,
        "REDIS_URL": REDIS_URL,
        "PUBLIC_BASE_URL": "https://bank.example.com",
    }
    values.update(overrides)
    set_env(**{k: v for k, v in values.items() if v is not None})


@pytest.mark.parametrize(
    ("app_env", "expected"),
    [
        ("development", DevelopmentConfig),
        ("testing", config_module.TestingConfig),
        ("staging", StagingConfig),
        ("production", ProductionConfig),
        ("  Production ", ProductionConfig),
    ],
)
def test_app_env_selects_the_config_class(environ, app_env, expected):
    server_env(environ, app_env)
    assert type(load_config()) is expected


def test_app_env_defaults_to_development(environ):
    assert type(load_config()) is DevelopmentConfig


def test_unknown_app_env_is_an_error_naming_the_valid_values(environ):
    environ(APP_ENV="prod")
    with pytest.raises(ConfigError) as error:
        load_config()
    message = str(error.value)
    assert "'prod'" in message
    for name in ("development", "testing", "staging", "production"):
        assert name in message


def test_development_needs_no_server(environ):
    config = load_config("development")
    assert config.SQLALCHEMY_DATABASE_URI.startswith("sqlite:///")
    assert config.SQLALCHEMY_DATABASE_URI.endswith("instance/banking.db")
    assert config.CACHE_TYPE == "SimpleCache"
    assert config.MAIL_BACKEND == "log"
    assert config.DEBUG is True
    assert config.SESSION_COOKIE_SECURE is False


@pytest.mark.parametrize("app_env", ["staging", "production"])
def test_server_environments_use_postgres_and_a_prefixed_redis_cache(environ, app_env):
    server_env(environ, app_env)
    config = load_config()
    assert config.SQLALCHEMY_DATABASE_URI.startswith("postgresql+psycopg://")
    assert config.CACHE_TYPE == "RedisCache"
    assert config.CACHE_REDIS_URL == REDIS_URL
    assert config.CACHE_KEY_PREFIX == "banking:"
    # Short socket timeouts: a Redis outage must cost half a second, not a hung worker.
    assert config.CACHE_OPTIONS["socket_timeout"] <= 1
    assert config.CACHE_OPTIONS["socket_connect_timeout"] <= 1
    assert config.SESSION_COOKIE_SECURE is True
    assert config.SESSION_COOKIE_HTTPONLY is True
    assert config.SESSION_COOKIE_SAMESITE == "Lax"
    assert config.MAX_CONTENT_LENGTH > 0


def test_hsts_is_enabled_only_in_production(environ):
    server_env(environ, "production")
    assert load_config().HSTS_ENABLED is True
    server_env(environ, "staging")
    assert load_config().HSTS_ENABLED is False
    assert load_config("development").HSTS_ENABLED is False


REFUSALS = [
    pytest.param({"SECRET_KEY": None}, "SECRET_KEY is not set", id="missing-secret"),
    pytest.param({"SECRET_KEY": ""}, "SECRET_KEY is not set", id="empty-secret"),
    pytest.param({"SECRET_KEY": "x" * 31}, "at least 32 characters", id="short-secret"),
    pytest.param(
        {"SECRET_KEY": DEV_SECRET_PLACEHOLDER}, "development placeholder", id="placeholder"
    ),
    pytest.param({"DATABASE_URL": None}, "DATABASE_URL is not set", id="missing-database"),
    pytest.param({"REDIS_URL": None}, "REDIS_URL is not set", id="missing-redis"),
]


@pytest.mark.parametrize("app_env", ["staging", "production"])
@pytest.mark.parametrize(("overrides", "reason"), REFUSALS)
def test_server_environments_refuse_unsafe_settings(environ, app_env, overrides, reason):
    server_env(environ, app_env, **overrides)
    with pytest.raises(ConfigError) as error:
        load_config()
    message = str(error.value)
    assert reason in message
    assert app_env in message
    assert "\n" not in message


@pytest.mark.parametrize("app_env", ["development", "testing"])
def test_development_and_testing_start_without_secrets(environ, app_env):
    environ(APP_ENV=app_env)
    assert load_config().SECRET_KEY == DEV_SECRET_PLACEHOLDER


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@h:5432/d", "postgresql+psycopg://u:p@h:5432/d"),
        ("postgresql://u:p@h/d", "postgresql+psycopg://u:p@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:///x.db", "sqlite:///x.db"),
        (None, None),
    ],
)
def test_postgres_urls_use_the_psycopg3_driver(url, expected):
    assert normalize_database_url(url) == expected


def test_database_url_from_the_environment_is_normalized(environ):
    server_env(environ, "production", DATABASE_URL="postgres://u:p@h/d")
    assert load_config().SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u:p@h/d"


def test_pool_options_default_to_10_20_3600_30_with_a_ping_after_5s_idle(environ):
    server_env(environ, "production")
    config = load_config()
    assert config.SQLALCHEMY_ENGINE_OPTIONS == {
        "pool_size": 10,
        "max_overflow": 20,
        "pool_recycle": 3600,
        "pool_timeout": 30,
        # Not on every checkout: banking.database.ping_after_idle pings idle connections.
        "pool_pre_ping": False,
    }
    assert config.DB_PING_AFTER_IDLE == 5.0
    server_env(environ, "production", DB_PING_AFTER_IDLE="0")
    assert load_config().DB_PING_AFTER_IDLE == 0.0


def test_pool_options_come_from_the_environment(environ):
    server_env(
        environ,
        "production",
        DB_POOL_SIZE="3",
        DB_MAX_OVERFLOW="4",
        DB_POOL_RECYCLE="600",
        DB_POOL_TIMEOUT="5",
    )
    options = load_config().SQLALCHEMY_ENGINE_OPTIONS
    assert (options["pool_size"], options["max_overflow"]) == (3, 4)
    assert (options["pool_recycle"], options["pool_timeout"]) == (600, 5)


def test_prepared_statements_can_be_turned_off_for_pgbouncer(environ):
    server_env(environ, "production")
    assert "connect_args" not in load_config().SQLALCHEMY_ENGINE_OPTIONS
    server_env(environ, "production", DB_PREPARED_STATEMENTS="false")
    options = load_config().SQLALCHEMY_ENGINE_OPTIONS
    assert options["connect_args"] == {"prepare_threshold": None}


def test_pool_options_are_not_applied_to_sqlite(environ):
    environ(DB_POOL_SIZE="3")
    options = load_config("development").SQLALCHEMY_ENGINE_OPTIONS
    assert "pool_size" not in options
    assert "max_overflow" not in options


def test_testing_uses_test_database_url_when_set(environ):
    environ(TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:5432/banking_x")
    config = load_config("testing")
    assert (
        config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://postgres@127.0.0.1:5432/banking_x"
    )
    assert config.SQLALCHEMY_ENGINE_OPTIONS["pool_pre_ping"] is False
    assert config.DB_PING_AFTER_IDLE == 5.0


def test_testing_defaults_to_in_memory_sqlite(environ):
    assert load_config("testing").SQLALCHEMY_DATABASE_URI == "sqlite://"


ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_documented_in_env_example():
    """Every variable config.py or gunicorn.conf.py reads appears in .env.example."""
    sources = (ROOT / "config.py").read_text() + (ROOT / "gunicorn.conf.py").read_text()
    names = set(re.findall(r"""(?:env|gunicorn_setting)\(\s*["']([A-Z][A-Z0-9_]+)["']""", sources))
    secrets = set(re.findall(r"""(?:secret|secret_list)\(\s*["']([A-Z][A-Z0-9_]+)["']""", sources))
    assert {"SECRET_KEY", "DATABASE_URL", "MAIL_PASSWORD"} <= secrets
    assert "WEB_CONCURRENCY" in names
    # A secret can be given either way, so both spellings are documented.
    names |= secrets | {f"{name}_FILE" for name in secrets}
    documented = set(
        re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M)
    )
    assert names - documented == set()


def test_allowed_hosts_become_flasks_trusted_hosts(environ):
    server_env(environ, "production", ALLOWED_HOSTS="bank.example.com, .Branch.example,")
    config = load_config()
    assert config.TRUSTED_HOSTS == ["bank.example.com", ".branch.example"]


@pytest.mark.parametrize("app_env", ["development", "testing"])
def test_without_allowed_hosts_the_embedded_default_makes_no_host_check(environ, app_env):
    server_env(environ, app_env)
    assert load_config().TRUSTED_HOSTS is None  # Flask: any host


@pytest.mark.parametrize("app_env", ["staging", "production"])
def test_servers_always_check_the_host_defaulting_to_the_public_base_urls(environ, app_env):
    server_env(environ, app_env, PUBLIC_BASE_URL="https://Bank.Example.com:8443/app")
    assert load_config().TRUSTED_HOSTS == ["bank.example.com"]


def test_the_public_base_urls_host_is_trusted_beside_allowed_hosts(environ):
    server_env(environ, "production", ALLOWED_HOSTS="127.0.0.1")
    assert load_config().TRUSTED_HOSTS == ["127.0.0.1", "bank.example.com"]


@pytest.mark.parametrize("app_env", ["staging", "production"])
def test_servers_refuse_to_start_without_a_public_base_url(environ, app_env):
    server_env(environ, app_env, PUBLIC_BASE_URL=None)
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL is not set"):
        load_config()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("bank.example.com", "absolute http"),
        ("ftp://bank.example.com", "absolute http"),
        ("https://", "absolute http"),
        ("https://bank.example.com:99999", "absolute http"),
        ("http://bank.example.com", "https in production"),
        ("https://user:pw@bank.example.com", "credentials"),
        ("https://bank.example.com/?next=x", "query"),
    ],
)
def test_production_refuses_an_unusable_public_base_url(environ, url, reason):
    server_env(environ, "production", PUBLIC_BASE_URL=url)
    with pytest.raises(ConfigError, match=reason):
        load_config()


def test_staging_accepts_a_plain_http_base_url(environ):
    server_env(environ, "staging", PUBLIC_BASE_URL="http://staging.internal:8000/")
    assert load_config().PUBLIC_BASE_URL == "http://staging.internal:8000"


@pytest.mark.parametrize(
    ("app_env", "expected"),
    [("development", "http://127.0.0.1:5000"), ("testing", "http://localhost")],
)
def test_the_embedded_default_has_a_public_base_url_of_its_own(environ, app_env, expected):
    server_env(environ, app_env, PUBLIC_BASE_URL=None)
    config = load_config()
    base_url = config.PUBLIC_BASE_URL
    assert base_url == expected


@pytest.mark.parametrize(
    ("app_env", "expected"),
    [("development", False), ("testing", False), ("staging", True), ("production", True)],
)
def test_admins_need_two_factor_by_default_only_on_servers(environ, app_env, expected):
    server_env(environ, app_env)
    assert load_config().ADMIN_REQUIRES_2FA is expected


def test_admin_two_factor_requirement_can_be_set_explicitly(environ):
    server_env(environ, "production", ADMIN_REQUIRES_2FA="false")
    assert load_config().ADMIN_REQUIRES_2FA is False
    server_env(environ, "development", ADMIN_REQUIRES_2FA="true")
    assert load_config().ADMIN_REQUIRES_2FA is True


def test_dual_control_threshold_and_adjustment_maximum_default_to_1000_and_100000(environ):
    config = load_config("development")
    assert config.DUAL_CONTROL_THRESHOLD_CENTS == 100_000
    assert config.ADJUSTMENT_MAX_CENTS == 10_000_000


def test_dual_control_settings_come_from_the_environment(environ):
    environ(DUAL_CONTROL_THRESHOLD_CENTS="5000", ADJUSTMENT_MAX_CENTS="200000")
    config = load_config("development")
    assert (config.DUAL_CONTROL_THRESHOLD_CENTS, config.ADJUSTMENT_MAX_CENTS) == (5_000, 200_000)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("info", "INFO"), (" Warning ", "WARNING"), ("warn", "WARNING"), ("DEBUG", "DEBUG")],
)
def test_log_level_is_read_in_any_case_as_gunicorn_reads_it(environ, value, expected):
    server_env(environ, LOG_LEVEL=value)
    level = load_config().LOG_LEVEL
    assert level == expected


def test_log_level_defaults_to_info_on_servers_and_debug_in_development(environ):
    assert load_config().LOG_LEVEL == "DEBUG"
    server_env(environ)
    assert load_config().LOG_LEVEL == "INFO"


def test_an_unknown_log_level_is_refused_by_name(environ):
    server_env(environ, LOG_LEVEL="verbose")
    with pytest.raises(ConfigError, match="LOG_LEVEL 'verbose' is not one of DEBUG, INFO"):
        load_config()


def test_an_app_configured_with_a_lower_case_log_level_starts(environ):
    """A gunicorn worker given LOG_LEVEL=info died at boot: "Unknown level: 'info'"."""
    import logging

    from banking.app import create_app

    environ(LOG_LEVEL="warning")
    root = logging.getLogger()
    before = root.level
    try:
        create_app(config_module.TestingConfig())
        assert root.level == logging.WARNING
    finally:
        root.setLevel(before)
