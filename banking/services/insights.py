"""A customer's monthly insights, cached per customer and month.

The figures are the core's (`banking.core.insights`: one aggregate query over the month
and the one before). A cache entry is keyed by the customer's data version
(`banking.caching.DATA_VERSION`), which every commit that changes their money or their
category rules bumps: a movement, a rule saved or undone, drops every cached month of
that customer at once (coarser than "the month that changed", and never stale).
"""

from __future__ import annotations

import logging

from flask import current_app

from banking.caching import DATA_VERSION, get_or_load, user_key
from banking.core import insights as core_insights
from banking.core.periods import Month, local_today
from banking.extensions import cache, db
from banking.services.categories import overrides_for

log = logging.getLogger(__name__)
INSIGHTS_CACHE_SECONDS = 3600


def _tz() -> str:
    return current_app.config.get("DISPLAY_TIMEZONE", "UTC")


def today():
    return local_today(_tz())


def _data_version(user_id: int) -> int | None:
    """The customer's data version (None: the cache is off or failing: do not cache)."""
    try:
        value = cache.get(user_key(DATA_VERSION, user_id))
    except Exception as exc:  # noqa: BLE001 - Redis down must not break a page
        log.warning("cache read failed", extra={"error_type": type(exc).__name__})
        return None
    return value if isinstance(value, int) else 0


def _load(user_id: int, month: Month) -> core_insights.MonthInsights:
    return core_insights.month_insights(
        db.session, user_id, month, tz=_tz(), overrides=overrides_for(user_id)
    )


def month_insights(user_id: int, month: Month) -> core_insights.MonthInsights:
    """`user_id`'s insights for `month`, from the cache when nothing changed since."""
    version = _data_version(user_id)
    if version is None:
        return _load(user_id, month)
    key = user_key(f"insights:{month}:v{version}", user_id)
    return get_or_load(key, lambda: _load(user_id, month), INSIGHTS_CACHE_SECONDS)
