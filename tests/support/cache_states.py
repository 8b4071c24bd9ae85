"""Run a test against each state the app's cache can be in: in-process, Redis up, Redis down."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from banking.extensions import cache

CACHE_STATES = ["in-process", "redis-up", "redis-down"]


def point_cache_at(request, app, key_prefix: str) -> Iterator[str]:
    """The body of a `cache_state` fixture parametrized with CACHE_STATES.

    Re-points the app's cache at Redis (or at a port where nothing listens, so every call
    fails) for the test, and puts the original back after.
    """
    if request.param == "in-process":
        yield request.param
        return
    if request.param == "redis-up":
        url = request.getfixturevalue("requires_redis")
    else:
        url = "redis://127.0.0.1:1/0"  # nothing listens there: every call fails
    original = app.extensions["cache"][cache]
    cache.init_app(
        app,
        config={
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": url,
            "CACHE_KEY_PREFIX": key_prefix,
            "CACHE_OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        },
    )
    if request.param == "redis-up":
        with app.app_context():
            cache.clear()
    try:
        yield request.param
    finally:
        app.extensions["cache"][cache] = original


@contextmanager
def counted_pipelines(app) -> Iterator[list[int]]:
    """The Redis pipelines the app's cache opens inside the block (one item each); none
    when the cache is in-process (it has no pipelines)."""
    with app.app_context():
        client = getattr(cache.cache, "_write_client", None)
    pipelines: list[int] = []
    if client is None:
        yield pipelines
        return
    original = client.pipeline

    def counting(*args, **kwargs):
        pipelines.append(1)
        return original(*args, **kwargs)

    client.pipeline = counting
    try:
        yield pipelines
    finally:
        del client.pipeline
