"""The application factory: a table of contents of how the app is put together."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from banking.extensions import LazyMigrate, cache, csrf, db, limiter, login_manager
from config import BASE_DIR, Config, load_config


def create_app(config: Config | str | None = None) -> Flask:
    """Build the app for `config` (a Config instance, an environment name, or APP_ENV)."""
    if not isinstance(config, Config):
        config = load_config(config)
    app = BankingFlask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        static_folder=str(BASE_DIR / "static"),
        instance_path=str(BASE_DIR / "instance"),
    )
    from banking.web import url_converters

    url_converters.init_app(app)  # before any route is registered
    app.config.from_object(config)
    app.config["ENV_NAME"] = config.ENV_NAME

    from banking.logging import configure_logging

    configure_logging(app)
    register_extensions(app)
    register_blueprints(app)

    from banking import caching, user_cache
    from banking.cli import register_commands
    from banking.services import notifications
    from banking.web import errors, security, sessions, templating

    sessions.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    caching.init_app(app)
    user_cache.init_app(app)
    notifications.init_app(app)
    register_commands(app)
    register_worker(app)
    register_metrics(app)
    return app


class BankingFlask(Flask):
    """Flask, answering `ensure_sync` once per function.

    Flask asks it for the view and every before/after/teardown hook of every request
    (~17 per page, each an `inspect.iscoroutinefunction`): ~3 % of a cached page's CPU
    for an answer that never changes for a given function.
    """

    _SYNC_MEMO_MAX = 4096  # hooks and views are few; a bound keeps odd callers harmless

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._sync_memo: dict = {}

    def ensure_sync(self, func):
        try:
            return self._sync_memo[func]
        except KeyError:
            pass
        except TypeError:  # unhashable: ask Flask every time
            return super().ensure_sync(func)
        synced = super().ensure_sync(func)
        if len(self._sync_memo) >= self._SYNC_MEMO_MAX:
            self._sync_memo.clear()
        self._sync_memo[func] = synced
        return synced


def register_extensions(app: Flask) -> None:
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.instance_path).mkdir(exist_ok=True)
    db.init_app(app)
    LazyMigrate(app, db, directory=str(BASE_DIR / "migrations"), compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    cache.init_app(app)
    limiter.init_app(app)
    from banking.extensions import skip_limiter_lookups

    skip_limiter_lookups(app)

    from banking.database import configure_engine, ping_after_idle
    from banking.database import init_app as init_database

    init_database(app)
    with app.app_context():
        configure_engine(db.engine)
        ping_after_idle(db.engine, app.config["DB_PING_AFTER_IDLE"])


def register_blueprints(app: Flask) -> None:
    from banking.web import health
    from banking.web.accounts import bp as accounts_bp
    from banking.web.admin import bp as admin_bp
    from banking.web.auth import bp as auth_bp
    from banking.web.notifications import bp as notifications_bp

    app.register_blueprint(health.bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(accounts_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(notifications_bp)

    from banking.web import dev_mail

    dev_mail.init_app(app)


def register_worker(app: Flask) -> None:
    """The app's Celery app and its tasks (run eagerly when no broker is configured)."""
    from banking import background, tasks

    tasks.register(background.init_app(app))


def register_metrics(app: Flask) -> None:
    """/metrics, the request metrics, the database pool's gauges, and the counters fed by
    the core's announcements (postings, retries, sign-in failures; once per process)."""
    from banking import metrics
    from banking.extensions import db
    from banking.web import metrics as metrics_endpoint

    metrics.subscribe()
    metrics_endpoint.init_app(app)
    with app.app_context():
        metrics.instrument_engine(db.engine)
