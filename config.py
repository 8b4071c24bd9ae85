"""Every setting the app reads, per environment, from `.env` and the process environment.

This is the only module that reads the environment: the rest of the code asks
`current_app.config`. Values are read when a config class is *instantiated* (not at
import), so tests can change the environment and build a fresh config.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from decouple import AutoConfig, Csv, UndefinedValueError

from banking.secret_files import SecretFileError, read_secret_file, world_readable_problem
from banking.setting_urls import (
    normalize_database_url,
    parse_networks,
    public_base_host,
    public_base_url_problem,
)

BASE_DIR = Path(__file__).resolve().parent
DEV_SECRET_PLACEHOLDER = "dev-insecure-change-me"  # noqa: S105 - the value we refuse
VALID_ENVS = ("development", "testing", "staging", "production")

_decouple = AutoConfig(search_path=str(BASE_DIR))


class ConfigError(RuntimeError):
    """A configuration that must not be started (unsafe or incomplete)."""


def env(name: str, default=None, cast=None):
    """Read one setting; `os.environ` wins over `.env`, as python-decouple does."""
    kwargs = {}
    if default is not None or cast is None:
        kwargs["default"] = default
    if cast is not None:
        kwargs["cast"] = cast
    try:
        return _decouple(name, **kwargs)
    except UndefinedValueError:
        return None


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def log_level(value: str) -> str:
    """LOG_LEVEL as the logging module names it: `info` works, as it does for gunicorn.

    The root logger takes only upper-case names, and a worker given another spelling died
    at boot with "Unknown level: 'info'"; an unknown name is refused here, by name.
    """
    level = str(value).strip().upper()
    if level == "WARN":
        level = "WARNING"
    if level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL {value!r} is not one of {', '.join(LOG_LEVELS)}")
    return level


def secret(name: str, default=None, files: dict[str, str] | None = None):
    """Read a secret from `NAME`, or from the file `NAME_FILE` names (never both).

    `files` collects the files read, so production can refuse ones every user can read.
    """
    value = env(name, default="") or None
    path = env(f"{name}_FILE", default="") or None
    if value and path:
        raise ConfigError(f"{name} and {name}_FILE are both set; set only one")
    if not path:
        return value if value is not None else default
    try:
        content = read_secret_file(f"{name}_FILE", path)
    except SecretFileError as error:
        raise ConfigError(str(error)) from None
    if files is not None:
        files[f"{name}_FILE"] = path
    return content


def secret_list(name: str, files: dict[str, str]) -> list[str]:
    """A list secret (`SECRET_KEY_FALLBACKS`): commas in the variable, commas or lines in a file."""
    raw = secret(name, default="", files=files) or ""
    return [item.strip() for item in raw.replace("\n", ",").split(",") if item.strip()]


class Config:
    """Settings shared by every environment; subclasses override what differs."""

    ENV_NAME = "base"
    HTTPS_ONLY = False  # production: the public base URL must be https
    DEBUG = False
    TESTING = False
    REQUIRE_SERVICES = False  # staging/production: PostgreSQL + Redis are mandatory

    def __init__(self) -> None:
        # Secrets: each from NAME or from the file NAME_FILE names (Docker/Kubernetes secrets,
        # Vault Agent). SECRET_KEY_FALLBACKS holds the previous keys during a rotation: Flask
        # 3.1 accepts sessions they signed, and our signed links do too (signing_keys()).
        self.SECRET_FILES: dict[str, str] = {}
        self.SECRET_KEY = secret(
            "SECRET_KEY", default=self.default_secret_key(), files=self.SECRET_FILES
        )
        self.SECRET_KEY_FALLBACKS = secret_list("SECRET_KEY_FALLBACKS", self.SECRET_FILES)
        self.SQLALCHEMY_DATABASE_URI = normalize_database_url(
            secret("DATABASE_URL", default=self.default_database_url(), files=self.SECRET_FILES)
        )
        self.REDIS_URL = secret("REDIS_URL", files=self.SECRET_FILES) or None
        self.SQLALCHEMY_TRACK_MODIFICATIONS = False
        self.SQLALCHEMY_ENGINE_OPTIONS = self.engine_options()
        # A pooled server connection idle this long is pinged before use (0: every use).
        self.DB_PING_AFTER_IDLE = env("DB_PING_AFTER_IDLE", default=5.0, cast=float)

        # Cache: Redis when a URL is configured, in-process otherwise.
        self.CACHE_KEY_PREFIX = env("CACHE_KEY_PREFIX", default="banking:")
        self.CACHE_DEFAULT_TIMEOUT = env("CACHE_DEFAULT_TIMEOUT", default=300, cast=int)
        if self.REDIS_URL:
            self.CACHE_TYPE = "RedisCache"
            self.CACHE_REDIS_URL = self.REDIS_URL
            self.CACHE_OPTIONS = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
        else:
            self.CACHE_TYPE = self.default_cache_type()

        # Rate limits: Redis in staging/production, memory elsewhere.
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.RATELIMIT_ENABLED = env("RATELIMIT_ENABLED", default=True, cast=bool)
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.RATELIMIT_KEY_PREFIX = "banking-rl"
        self.RATELIMIT_STORAGE_OPTIONS = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
        self.LOGIN_RATE_LIMIT = env("LOGIN_RATE_LIMIT", default="20/minute")
        self.SIGNUP_RATE_LIMIT = env("SIGNUP_RATE_LIMIT", default="10/hour")
        self.RESET_RATE_LIMIT = env("RESET_RATE_LIMIT", default="5/15minutes")
        # Re-checks of a signed-in user's password or code, per user, all forms together.
        # The lockout's own numbers (10 in 15 minutes): a real user is never throttled
        # before the lockout would stop them anyway, while the limiter's atomic counter
        # caps a parallel burst (which can race past the lock check) and the argon2 work
        # one stolen cookie can make the server do.
        self.REAUTH_RATE_LIMIT = env("REAUTH_RATE_LIMIT", default="10/15minutes")

        # Identity
        self.LOCKOUT_THRESHOLD = env("LOCKOUT_THRESHOLD", default=10, cast=int)
        self.LOCKOUT_MINUTES = env("LOCKOUT_MINUTES", default=15, cast=int)
        self.SESSION_IDLE_MINUTES = env("SESSION_IDLE_MINUTES", default=15, cast=int)
        self.SESSION_ABSOLUTE_HOURS = env("SESSION_ABSOLUTE_HOURS", default=12, cast=int)
        self.PERMANENT_SESSION_LIFETIME = timedelta(minutes=self.SESSION_IDLE_MINUTES)
        self.PASSWORD_RESET_MINUTES = env("PASSWORD_RESET_MINUTES", default=30, cast=int)
        # How long a sign-up's email-confirmation link works (signing in sends a new one).
        self.EMAIL_VERIFY_HOURS = env("EMAIL_VERIFY_HOURS", default=24, cast=int)
        self.ADMIN_REQUIRES_2FA = env(
            "ADMIN_REQUIRES_2FA", default=self.default_admin_requires_2fa(), cast=bool
        )
        self.REMEMBER_COOKIE_DURATION = timedelta(days=14)
        # argon2id cost; unset means argon2-cffi's recommended parameters (production).
        self.ARGON2_TIME_COST = env("ARGON2_TIME_COST", default=0, cast=int) or None
        self.ARGON2_MEMORY_COST = env("ARGON2_MEMORY_COST", default=0, cast=int) or None

        # Cookies
        secure = self.secure_cookies()
        self.SESSION_COOKIE_SECURE = secure
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = secure
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_NAME = "banking_session"
        # Re-sign the cookie only when the session changed, not on every page: the idle
        # clock (`last_seen`, banking/web/sessions.py) moves every 15 s, which re-sends
        # the cookie with a fresh expiry then, so its lifetime still slides with use
        # (at most 15 s short of the idle window, which the server enforces anyway).
        self.SESSION_REFRESH_EACH_REQUEST = False

        # Web
        self.MAX_CONTENT_LENGTH = env("MAX_CONTENT_LENGTH", default=1024 * 1024, cast=int)
        self.PROXY_FIX_COUNT = env("PROXY_FIX_COUNT", default=0, cast=int)
        self.HSTS_ENABLED = self.ENV_NAME == "production"
        self.WTF_CSRF_TIME_LIMIT = None  # tied to the session instead

        # The bank's name, wherever a page, an email or an authenticator app says it.
        self.BANK_NAME = env("BANK_NAME", default="Northwind Bank")

        # Money
        self.DEFAULT_CURRENCY = env("DEFAULT_CURRENCY", default="USD")
        self.BABEL_LOCALE = env("BABEL_LOCALE", default="en_US")
        self.DISPLAY_TIMEZONE = env("DISPLAY_TIMEZONE", default="UTC")
        self.TRANSFER_LIMIT_CENTS = env("TRANSFER_LIMIT_CENTS", default=1_000_000, cast=int)
        self.DAILY_LIMIT_CENTS = env("DAILY_LIMIT_CENTS", default=2_500_000, cast=int)
        self.REVIEW_THRESHOLD_CENTS = env("REVIEW_THRESHOLD_CENTS", default=500_000, cast=int)
        self.HOLD_EXPIRY_DAYS = env("HOLD_EXPIRY_DAYS", default=7, cast=int)
        self.SAVINGS_ANNUAL_RATE_BP = env("SAVINGS_ANNUAL_RATE_BP", default=150, cast=int)
        self.LEDGER_MAX_RETRIES = env("LEDGER_MAX_RETRIES", default=8, cast=int)
        self.DASHBOARD_CACHE_SECONDS = env("DASHBOARD_CACHE_SECONDS", default=60, cast=int)
        # The signed-in user's snapshot (banking/user_cache.py); 0 reads the row every time.
        self.USER_CACHE_SECONDS = env("USER_CACHE_SECONDS", default=300, cast=int)
        self.ADMIN_STATS_CACHE_SECONDS = env("ADMIN_STATS_CACHE_SECONDS", default=30, cast=int)
        self.ADMIN_PAGE_SIZE = env("ADMIN_PAGE_SIZE", default=25, cast=int)
        # Dual control (maker-checker): an admin adjustment or reversal above this many
        # cents waits for a second admin's approval instead of posting (1,000.00).
        self.DUAL_CONTROL_THRESHOLD_CENTS = env(
            "DUAL_CONTROL_THRESHOLD_CENTS", default=100_000, cast=int
        )
        # The largest single adjustment an admin may even ask for (100,000.00): a teller
        # deposit or a correction is never bigger than that in a personal bank; anything
        # larger (an estate, a wire) has its own process, and a typo of three extra zeros
        # must be refused, not queued for a tired second admin to wave through.
        self.ADJUSTMENT_MAX_CENTS = env("ADJUSTMENT_MAX_CENTS", default=10_000_000, cast=int)

        # Logging
        self.LOG_LEVEL = env("LOG_LEVEL", default="DEBUG" if self.DEBUG else "INFO", cast=log_level)
        self.LOG_FILE = env("LOG_FILE", default="") or None
        self.LOG_MAX_BYTES = env("LOG_MAX_BYTES", default=10 * 1024 * 1024, cast=int)
        self.LOG_BACKUP_COUNT = env("LOG_BACKUP_COUNT", default=5, cast=int)

        # Email
        self.MAIL_BACKEND = env("MAIL_BACKEND", default=self.default_mail_backend())
        self.MAIL_SERVER = env("MAIL_SERVER", default="localhost")
        self.MAIL_PORT = env("MAIL_PORT", default=587, cast=int)
        self.MAIL_USERNAME = env("MAIL_USERNAME", default="")
        self.MAIL_PASSWORD = secret("MAIL_PASSWORD", default="", files=self.SECRET_FILES)
        # STARTTLS on MAIL_PORT (587), or implicit TLS from the first byte (MAIL_USE_SSL,
        # port 465). Either way the server's certificate and name are verified, against
        # the system's CAs or MAIL_CA_FILE (a PEM bundle for a private CA).
        self.MAIL_USE_TLS = env("MAIL_USE_TLS", default=True, cast=bool)
        self.MAIL_USE_SSL = env("MAIL_USE_SSL", default=False, cast=bool)
        self.MAIL_CA_FILE = env("MAIL_CA_FILE", default="") or None
        self.MAIL_TIMEOUT = env("MAIL_TIMEOUT", default=10, cast=int)
        self.MAIL_SENDER = env("MAIL_SENDER", default="Banking <no-reply@example.com>")

        # Background work (Celery). Without a broker tasks run eagerly, in-process
        # (development, tests: the embedded default needs no server); staging and production
        # use REDIS_URL unless CELERY_BROKER_URL names another. A task unacknowledged this
        # long (a killed worker) is handed to another worker; tasks are idempotent.
        self.CELERY_BROKER_URL = secret("CELERY_BROKER_URL", files=self.SECRET_FILES) or (
            self.REDIS_URL if self.REQUIRE_SERVICES else None
        )
        self.CELERY_VISIBILITY_TIMEOUT = env("CELERY_VISIBILITY_TIMEOUT", default=3600, cast=int)
        self.TASK_MAX_RETRIES = env("TASK_MAX_RETRIES", default=8, cast=int)
        self.TASK_RETRY_BACKOFF_MAX = env("TASK_RETRY_BACKOFF_MAX", default=600, cast=int)
        # /metrics answers these networks, or a client sending `Authorization: Bearer
        # <METRICS_TOKEN>`; anyone else gets a 404. The Celery worker serves its task
        # metrics on WORKER_METRICS_BIND (empty: off).
        try:
            self.METRICS_NETWORKS = parse_networks(
                env("METRICS_ALLOWED_NETWORKS", default="127.0.0.1/32,::1/128")
            )
        except ValueError as error:
            raise ConfigError(f"METRICS_ALLOWED_NETWORKS: {error}") from None
        self.METRICS_TOKEN = secret("METRICS_TOKEN", files=self.SECRET_FILES) or None
        self.WORKER_METRICS_BIND = env("WORKER_METRICS_BIND", default="127.0.0.1:9808")

        # The address customers use, e.g. "https://bank.example.com". Every link in every
        # email is built from it and never from the request: a forged Host header must not
        # be able to point a password-reset link at an attacker's site.
        self.PUBLIC_BASE_URL = (
            env("PUBLIC_BASE_URL", default="") or self.default_public_base_url() or ""
        ).rstrip("/")

        # Host header check (Flask 3.1's TRUSTED_HOSTS; a refused Host answers 400).
        # "bank.example.com" matches that name, ".example.com" any subdomain too; ports
        # are ignored. Staging and production always check: the public base URL's host is
        # trusted even when ALLOWED_HOSTS is unset, so a server never answers for any Host.
        # Development and testing check only when ALLOWED_HOSTS is set (None, not [], is
        # Flask's "anything").
        self.ALLOWED_HOSTS = [
            host.lower() for host in env("ALLOWED_HOSTS", default="", cast=Csv()) if host
        ]
        trusted = list(self.ALLOWED_HOSTS)
        if self.REQUIRE_SERVICES:
            base_host = public_base_host(self.PUBLIC_BASE_URL)
            if base_host and base_host not in trusted:
                trusted.append(base_host)
        self.TRUSTED_HOSTS = trusted or None

    # Per-environment defaults -------------------------------------------------
    def default_secret_key(self) -> str | None:
        return DEV_SECRET_PLACEHOLDER

    def default_public_base_url(self) -> str | None:
        # `make run` serves here; a developer following an emailed link lands on it.
        return "http://127.0.0.1:5000"

    def default_database_url(self) -> str | None:
        instance = BASE_DIR / "instance"
        return f"sqlite:///{instance / 'banking.db'}"

    def default_cache_type(self) -> str:
        return "SimpleCache"

    def default_mail_backend(self) -> str:
        return "log"

    def default_admin_requires_2fa(self) -> bool:
        return False

    def secure_cookies(self) -> bool:
        return True

    def engine_options(self) -> dict:
        """Pool settings for server databases; SQLite gets a busy timeout instead."""
        url = self.SQLALCHEMY_DATABASE_URI or ""
        if url.startswith("sqlite"):
            return {"connect_args": {"timeout": 30, "check_same_thread": False}}
        options = {
            "pool_size": env("DB_POOL_SIZE", default=10, cast=int),
            "max_overflow": env("DB_MAX_OVERFLOW", default=20, cast=int),
            "pool_recycle": env("DB_POOL_RECYCLE", default=3600, cast=int),
            "pool_timeout": env("DB_POOL_TIMEOUT", default=30, cast=int),
            # No ping on every checkout: `banking.database.ping_after_idle` pings only a
            # connection idle for DB_PING_AFTER_IDLE seconds (see why there).
            "pool_pre_ping": False,
        }
        # Behind pgbouncer in transaction pooling (1.18, Debian's) consecutive
        # transactions of one connection may run on different server connections, so
        # psycopg 3's server-side prepared statements (made after a query's 5th run)
        # would be missing or clash there: DB_PREPARED_STATEMENTS=false turns them off.
        if not env("DB_PREPARED_STATEMENTS", default=True, cast=bool):
            options["connect_args"] = {"prepare_threshold": None}
        return options

    def validate(self) -> None:
        """Refuse to start a server-grade environment with unsafe or missing settings."""
        if not self.REQUIRE_SERVICES:
            return
        key = self.SECRET_KEY or ""
        if not key:
            raise ConfigError(f"{self.ENV_NAME}: SECRET_KEY is not set")
        if key == DEV_SECRET_PLACEHOLDER:
            raise ConfigError(f"{self.ENV_NAME}: SECRET_KEY is the development placeholder")
        if len(key) < 32:
            raise ConfigError(f"{self.ENV_NAME}: SECRET_KEY must be at least 32 characters")
        for old in self.SECRET_KEY_FALLBACKS:
            if old == DEV_SECRET_PLACEHOLDER or len(old) < 32:
                raise ConfigError(
                    f"{self.ENV_NAME}: every SECRET_KEY_FALLBACKS key must be at least 32 "
                    "characters and not the development placeholder"
                )
        if self.HTTPS_ONLY:
            for variable, path in self.SECRET_FILES.items():
                problem = world_readable_problem(variable, path)
                if problem:
                    raise ConfigError(f"{self.ENV_NAME}: {problem}")
        if not self.SQLALCHEMY_DATABASE_URI:
            raise ConfigError(f"{self.ENV_NAME}: DATABASE_URL is not set")
        if not self.REDIS_URL:
            raise ConfigError(f"{self.ENV_NAME}: REDIS_URL is not set")
        if not self.PUBLIC_BASE_URL:
            raise ConfigError(
                f"{self.ENV_NAME}: PUBLIC_BASE_URL is not set (emailed links are built from it)"
            )
        problem = public_base_url_problem(self.PUBLIC_BASE_URL, require_https=self.HTTPS_ONLY)
        if problem:
            raise ConfigError(f"{self.ENV_NAME}: PUBLIC_BASE_URL {problem}")
        if not self.TRUSTED_HOSTS:
            raise ConfigError(f"{self.ENV_NAME}: ALLOWED_HOSTS is not set")


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = True

    def secure_cookies(self) -> bool:
        return False


class TestingConfig(Config):
    __test__ = False  # not a pytest test class, despite the name
    ENV_NAME = "testing"
    TESTING = True

    def __init__(self) -> None:
        super().__init__()
        self.SQLALCHEMY_DATABASE_URI = normalize_database_url(
            env("TEST_DATABASE_URL", default="") or "sqlite://"
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = self.engine_options()
        if self.SQLALCHEMY_DATABASE_URI == "sqlite://":
            from sqlalchemy.pool import StaticPool

            self.SQLALCHEMY_ENGINE_OPTIONS = {
                "connect_args": {"check_same_thread": False},
                "poolclass": StaticPool,
            }
        self.REDIS_URL = None
        self.CACHE_TYPE = "SimpleCache"
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.WTF_CSRF_ENABLED = True
        self.MAIL_BACKEND = "memory"
        # Cheap hashes: the suite signs up hundreds of users; the algorithm is unchanged.
        self.ARGON2_TIME_COST = 1
        self.ARGON2_MEMORY_COST = 1024
        self.SERVER_NAME = None

    def default_database_url(self) -> str | None:
        return "sqlite://"

    def default_public_base_url(self) -> str | None:
        return "http://localhost"  # the test client's host

    def secure_cookies(self) -> bool:
        return False


class StagingConfig(Config):
    ENV_NAME = "staging"
    REQUIRE_SERVICES = True

    def default_public_base_url(self) -> str | None:
        return None  # required: refused at start-up when missing

    def default_secret_key(self) -> str | None:
        return None

    def default_database_url(self) -> str | None:
        return None

    def default_mail_backend(self) -> str:
        return "smtp"

    def default_admin_requires_2fa(self) -> bool:
        return True


class ProductionConfig(StagingConfig):
    ENV_NAME = "production"
    HTTPS_ONLY = True


config_by_name: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "staging": StagingConfig,
    "production": ProductionConfig,
}


def current_env_name() -> str:
    """The `APP_ENV` in force (default development)."""
    return (env("APP_ENV", default="development") or "development").strip().lower()


def load_config(name: str | None = None) -> Config:
    """Build and validate the config for `name` (or `APP_ENV`); raise ConfigError if unsafe."""
    name = name or current_env_name()
    if name not in config_by_name:
        raise ConfigError(f"APP_ENV={name!r} is not valid; choose one of: {', '.join(VALID_ENVS)}")
    config = config_by_name[name]()
    config.validate()
    return config


def gunicorn_setting(name: str, default, cast=str):
    """Read a gunicorn setting (used by gunicorn.conf.py so it never touches os.environ)."""
    return env(name, default=default, cast=cast)


def cpu_count() -> int:
    return os.cpu_count() or 1
