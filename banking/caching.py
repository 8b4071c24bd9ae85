"""Cache-aside for read-heavy data, keyed per user, that degrades to the database.

Never cache a rendered signed-in page by path: one customer would get another's.
Cache *data* under namespaced keys instead, and delete a user's keys after every
commit that touches their money. A cache error is logged and treated as a miss.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

from banking.extensions import cache

log = logging.getLogger(__name__)
T = TypeVar("T")
_MISS = object()


def user_key(namespace: str, user_id: int) -> str:
    return f"user:{user_id}:{namespace}"


def get_or_load(key: str, loader: Callable[[], T], timeout: int) -> T:
    """Return the cached value for `key`, or load, store and return it."""
    try:
        value = cache.get(key)
    except Exception as exc:  # noqa: BLE001 - Redis down must not break a page
        log.warning("cache read failed", extra={"error_type": type(exc).__name__})
        return loader()
    if value is not None:
        return value
    value = loader()
    try:
        cache.set(key, value, timeout=timeout)
    except Exception as exc:  # noqa: BLE001
        log.warning("cache write failed", extra={"error_type": type(exc).__name__})
    return value


def delete(keys: Iterable[str]) -> None:
    keys = list(keys)
    if not keys:
        return
    try:
        cache.delete_many(*keys)
    except Exception as exc:  # noqa: BLE001
        log.warning("cache delete failed", extra={"error_type": type(exc).__name__})


# Namespaces cached per user; every money movement deletes all of them for each party.
USER_NAMESPACES = ("dashboard",)


def invalidate_users(user_ids: Iterable[int | None]) -> None:
    delete(user_key(ns, uid) for uid in set(user_ids) if uid is not None for ns in USER_NAMESPACES)
