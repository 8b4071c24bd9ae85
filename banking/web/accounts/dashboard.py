"""The dashboard page's cached summary and its charts.

The data (accounts, totals, recent movements, 30-day series, recent payees) is built by
`banking.services.dashboard`; this module caches it per user together with the rendered
SVG charts. The summary is read on every visit to the home page, and every commit that
changes one of the user's accounts (or a transfer they send or receive, or one of their
saved payees) deletes it through `banking.caching`'s session events, so it is never stale.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template
from markupsafe import Markup

from banking import metrics
from banking.caching import delete, get_or_load, user_key
from banking.core.periods import local_today
from banking.services.dashboard import DECLINED, build_summary, decline_reason
from banking.web.accounts.charts import chart_summary, render_chart
from banking.web.sessions import prefetched

# The transfer result page explains a declined transfer as the dashboard does.
__all__ = ["DECLINED", "cached_summary", "decline_reason", "render_charts"]


def cached_summary(user_id: int) -> dict[str, Any]:
    """The summary from the cache, or freshly built (and cached for DASHBOARD_CACHE_SECONDS).

    The cached entry also holds the rendered charts (`summary["charts"]`) and the page's
    whole content rendered from them (`summary["body_html"]`): formatting ~120 amounts
    and drawing the SVG cost far more CPU than the rest of the page, and they change only
    when the summary does (the same session events delete all of it at once).
    """
    key = user_key("dashboard", user_id)
    summary = prefetched(key)  # read with the signed-in user, in the same round trip
    if summary is not None and _projected_today(summary):
        metrics.count_cache("hit")
        return summary
    timeout = current_app.config["DASHBOARD_CACHE_SECONDS"]
    summary = get_or_load(key, lambda: _summary_with_charts(user_id), timeout=timeout)
    if not _projected_today(summary):
        # Cached before midnight (or by a release without it): "Coming up" would still
        # list yesterday's payments as due. Rare, so simply built again.
        delete([key])
        summary = get_or_load(key, lambda: _summary_with_charts(user_id), timeout=timeout)
    return summary


def _projected_today(summary: dict[str, Any]) -> bool:
    projection = summary.get("projection")
    return projection is not None and projection.get("day") == _today()


def render_charts(series: dict[str, list[dict[str, Any]]], locale: str) -> list[dict[str, Any]]:
    """Per currency: the SVG, its one-sentence summary and the points for the table."""
    return [
        {
            "currency": currency,
            "svg": render_chart(points, currency, locale, chart_id=f"chart-{currency.lower()}"),
            "summary": chart_summary(points, currency, locale),
            "points": points,
        }
        for currency, points in series.items()
    ]


def _summary_with_charts(user_id: int) -> dict[str, Any]:
    summary = build_summary(user_id)
    summary["charts"] = render_charts(summary["series"], current_app.config["BABEL_LOCALE"])
    # Depends on the summary alone (no form, no session, no current_user): see the template.
    summary["body_html"] = _render_body(summary)
    return summary


def _today() -> str:
    return local_today(current_app.config.get("DISPLAY_TIMEZONE", "UTC")).isoformat()


def _render_body(summary: dict[str, Any]) -> str:
    # The recent activity is headed "Today" / "Yesterday": the body is only valid on the
    # day it was rendered in the display time zone (see `body_html`).
    summary["body_day"] = _today()
    return str(
        render_template("accounts/_dashboard_body.html", summary=summary, charts=summary["charts"])
    )


def body_html(summary: dict[str, Any]) -> Markup:
    """The cached content; autoescaped when it was rendered, so safe to insert as is.

    An entry cached by the previous release has no body yet, and one cached before
    midnight calls today "Today": render it again for this view (the entry expires soon).
    """
    html = summary.get("body_html")
    if html is None or summary.get("body_day") != _today():
        html = _render_body(summary)
    # Rendered by our own autoescaping template (here or when the entry was cached).
    return Markup(html)  # noqa: S704  # nosec B704
