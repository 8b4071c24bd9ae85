"""The application factory wires each extension, blueprint, handler and command once."""

from __future__ import annotations

import pytest
from flask import Flask

from banking.app import create_app
from banking.extensions import cache, csrf, db, limiter, login_manager, migrate
from config import ConfigError, TestingConfig

# Extra apps re-bind the shared limiter: put it back after each test.
pytestmark = pytest.mark.usefixtures("restore_limiter")


def test_factory_accepts_a_config_instance_or_an_environment_name():
    assert isinstance(create_app(TestingConfig()), Flask)
    assert create_app("testing").config["ENV_NAME"] == "testing"


def test_factory_refuses_an_unknown_environment():
    with pytest.raises(ConfigError, match="development, testing, staging, production"):
        create_app("qa")


def test_factory_binds_every_extension(app):
    for name in ("sqlalchemy", "migrate", "cache", "limiter"):
        assert name in app.extensions, name
    assert app.extensions["sqlalchemy"] is db
    assert app.extensions["migrate"].migrate is migrate
    assert cache in app.extensions["cache"]
    assert app.login_manager is login_manager
    assert "csrf" in app.extensions and app.extensions["csrf"] is csrf
    assert limiter.enabled is not None


def test_extensions_are_shared_singletons_across_apps(app):
    other = create_app(TestingConfig())
    assert other.extensions["sqlalchemy"] is app.extensions["sqlalchemy"] is db


def test_factory_registers_the_blueprints(app):
    assert {"health", "auth", "accounts", "admin"} <= set(app.blueprints)
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert {"/healthz", "/readyz", "/auth/login", "/"} <= rules


def test_factory_registers_error_handlers_for_http_errors_and_crashes(app):
    handlers = app.error_handler_spec[None]
    assert handlers[None], "no handler for unexpected exceptions"
    registered = {exc for spec in handlers.values() for exc in spec}
    assert Exception in registered


def test_migration_commands_are_available(runner):
    result = runner.invoke(args=["db", "--help"])
    assert result.exit_code == 0
    assert "upgrade" in result.output


def test_testing_config_keeps_csrf_on_and_email_in_memory(app):
    assert app.config["WTF_CSRF_ENABLED"] is True
    assert app.config["MAIL_BACKEND"] == "memory"
    assert app.config["TESTING"] is True
    assert app.debug is False
