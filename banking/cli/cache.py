"""`flask cache clear`: drop this app's cached data (never anyone else's keys).

With RedisCache, Flask-Caching (via cachelib's `BaseRedisCache.clear`) deletes only
`KEYS <CACHE_KEY_PREFIX>*` when a prefix is set — but with an empty prefix it runs
FLUSHDB, wiping every key in the Redis database, other apps' and the rate limiter's
included. So this command refuses to clear a Redis cache that has no prefix.
"""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from banking.extensions import cache

cache_cli = AppGroup("cache", help="Manage the app's cache.")


def register(app: Flask) -> None:
    app.cli.add_command(cache_cli)


@cache_cli.command("clear")
def clear_cache() -> None:
    """Delete every key this app cached (only keys under CACHE_KEY_PREFIX on Redis).

    Safe to run any time: the cache is only a copy, pages reload data from the database.
    """
    cache_type = current_app.config.get("CACHE_TYPE", "")
    prefix = current_app.config.get("CACHE_KEY_PREFIX") or ""
    is_redis = "redis" in str(cache_type).lower()
    if is_redis and not prefix:
        raise click.ClickException(
            "CACHE_KEY_PREFIX is empty: clearing would flush the whole Redis database. "
            "Set a prefix first."
        )
    try:
        cache.clear()
    except Exception as exc:  # any backend error: report it, not a stack trace
        raise click.ClickException(f"Could not clear the cache ({type(exc).__name__}).") from exc
    where = f"keys under {prefix!r}" if is_redis else f"the {cache_type} cache"
    click.echo(f"Cleared {where}.")
