"""Reaching into the whole-page cache (banking.web.page_cache) from a test."""

from __future__ import annotations

from flask import Flask

from banking.caching import DATA_VERSION, user_key
from banking.extensions import cache


def outdate_cached_pages(app: Flask, user_id: int) -> None:
    """What a commit touching the user's money does: every cached page of theirs is old.

    Their other entries (the dashboard's summary) stay, so a test can reach them.
    """
    with app.app_context():
        try:
            cache.cache.inc(user_key(DATA_VERSION, user_id))
        except Exception:  # redis' own ConnectionError, among others
            pass  # a cache that is down holds no pages to outdate
