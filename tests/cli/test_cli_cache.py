"""`flask cache clear`: this app's cached keys go; anyone else's keys in Redis stay."""

from uuid import uuid4

import pytest
import redis

from banking.app import create_app
from banking.extensions import cache
from config import TestingConfig

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def redis_app(url: str, prefix: str):
    """An app whose cache is RedisCache at `url` under `prefix` (the staging/production setup)."""
    config = TestingConfig()
    config.CACHE_TYPE = "RedisCache"
    config.CACHE_REDIS_URL = url
    config.CACHE_KEY_PREFIX = prefix
    config.CACHE_OPTIONS = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
    return create_app(config)


def test_clear_empties_the_in_process_cache(app, runner):
    with app.app_context():
        cache.set("user:1:dashboard", {"total": 100})
    result = runner.invoke(args=["cache", "clear"])
    assert result.exit_code == 0, result.output
    assert "Cleared the SimpleCache cache." in result.output
    with app.app_context():
        assert cache.get("user:1:dashboard") is None


def test_clear_deletes_only_keys_under_our_prefix_in_redis(requires_redis):
    prefix = f"banking-test-{uuid4().hex[:8]}:"
    foreign = f"other-app-{uuid4().hex[:8]}:session"
    lookalike = f"{prefix.rstrip(':')}-rl:{uuid4().hex[:8]}"  # shares the start, not the prefix
    client = redis.Redis.from_url(requires_redis)
    app = redis_app(requires_redis, prefix)
    try:
        client.set(foreign, b"keep me")
        client.set(lookalike, b"keep me too")
        with app.app_context():
            cache.set("user:1:dashboard", {"total": 100})
            cache.set("admin:stats", 42)
        assert client.exists(f"{prefix}user:1:dashboard") == 1  # stored under the prefix

        result = app.test_cli_runner().invoke(args=["cache", "clear"])

        assert result.exit_code == 0, result.output
        assert f"Cleared keys under '{prefix}'." in result.output
        assert client.keys(f"{prefix}*") == []
        assert client.get(foreign) == b"keep me"
        assert client.get(lookalike) == b"keep me too"
    finally:
        client.delete(foreign, lookalike, *client.keys(f"{prefix}*"))
        client.close()


def test_clear_refuses_a_redis_cache_without_a_prefix():
    # Without a prefix the library would FLUSHDB; the command must stop before connecting.
    app = redis_app(UNREACHABLE_REDIS, "")
    result = app.test_cli_runner().invoke(args=["cache", "clear"])
    assert result.exit_code != 0
    assert "CACHE_KEY_PREFIX is empty" in result.output


def test_clear_reports_an_unreachable_redis_without_a_stack_trace():
    app = redis_app(UNREACHABLE_REDIS, "banking:")
    result = app.test_cli_runner().invoke(args=["cache", "clear"])
    assert result.exit_code == 1
    assert "Could not clear the cache (ConnectionError)" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args", [["cache", "--help"], ["cache", "clear", "--help"]])
def test_help_explains_what_is_cleared(runner, args):
    result = runner.invoke(args=args)
    assert result.exit_code == 0
    assert "cache" in result.output.lower()
