"""Jinja filters and globals: money and dates formatted for the configured locale.

Display words (kinds of movement, the bank's name) come from `banking.web.presenters`.

Dates, one way (customer pages use these and nothing else): `day` is THE date format
(BABEL_LOCALE's medium date, "Nov 25, 2026"), `time` THE time of day ("2:05 PM"),
`when` the two joined by the locale ("Nov 25, 2026, 2:05 PM"); lists are grouped by
`by_day` under `day_heading` ("Today", "Yesterday", "Mon, Nov 25"). Everything is in
DISPLAY_TIMEZONE. An explicit Babel format (`when('short')`) is still accepted for
pages not yet moved over (admin).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from babel.dates import (
    format_date,
    format_datetime,
    format_skeleton,
    format_time,
    format_timedelta,
    get_datetime_format,
)
from flask import Flask, current_app, g, has_request_context, request, session, url_for
from flask_wtf.csrf import generate_csrf

from banking.core.models.base import as_utc
from banking.core.money import format_money, format_plain, format_signed
from banking.core.periods import display_zone
from banking.web.presenters import bank_name, device_label, kind_label


# Babel parses the locale and pattern on every call; the dashboard and history pages
# format the same days and timestamps again on every view. Pure functions of hashable
# arguments, so a bounded memo is exact.
@lru_cache(maxsize=4096)
def _format_datetime(value: datetime, fmt: str, zone: str, locale: str) -> str:
    return format_datetime(value, fmt, tzinfo=zone, locale=locale)


@lru_cache(maxsize=4096)
def _format_date(value: date, fmt: str, locale: str) -> str:
    return format_date(value, fmt, locale=locale)


@lru_cache(maxsize=1024)
def _format_time(value: datetime, zone: str, locale: str) -> str:
    return format_time(value, "short", tzinfo=display_zone(zone), locale=locale)


@lru_cache(maxsize=1024)
def _format_heading(value: date, today: date, locale: str, relative: bool = True) -> str:
    if relative and value == today:
        return "Today"
    if relative and value == today - timedelta(days=1):
        return "Yesterday"
    skeleton = "MMMEd" if value.year == today.year else "yMMMEd"
    return format_skeleton(skeleton, value, locale=locale)


def local_date(value: datetime | date, zone: str) -> date:
    """The calendar day `value` falls on in the display zone (a date is already one)."""
    if isinstance(value, datetime):
        return as_utc(value).astimezone(display_zone(zone)).date()
    return value


def group_by_day(rows: Iterable[Any], attribute: str, zone: str) -> list[tuple[date, list[Any]]]:
    """Consecutive rows sharing a local day, as (day, rows): the lists are already in
    time order, so a day never appears twice (a page boundary may repeat it)."""
    groups: list[tuple[date, list[Any]]] = []
    for row in rows:
        value = row[attribute] if isinstance(row, dict) else getattr(row, attribute)
        day = local_date(value, zone)
        if groups and groups[-1][0] == day:
            groups[-1][1].append(row)
        else:
            groups.append((day, [row]))
    return groups


# Signed CSRF tokens by (secret, the session's raw CSRF value). WTF_CSRF_TIME_LIMIT is
# None (the token lives as long as its session), so a token signed once for a session
# is exactly as valid as a fresh one, and every page needs one (the nav's sign-out
# form): signing it anew cost a key derivation, an HMAC, zlib and base64 per page.
_SIGNED_CSRF: dict[tuple[str, str], str] = {}
_SIGNED_CSRF_MAX = 4096


def csrf_token() -> str:
    """Flask-WTF's `generate_csrf`, reusing the token already signed for this session."""
    config = current_app.config
    field = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    token = g.get(field)
    if token is not None:
        return token
    if config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return generate_csrf()  # tokens expire: each must carry a fresh timestamp
    secret = config.get("WTF_CSRF_SECRET_KEY") or config["SECRET_KEY"]
    raw = session.get(field)
    token = _SIGNED_CSRF.get((secret, raw)) if isinstance(raw, str) else None
    if token is None:
        token = generate_csrf()
        raw = session.get(field)
        if isinstance(raw, str):
            if len(_SIGNED_CSRF) >= _SIGNED_CSRF_MAX:
                _SIGNED_CSRF.clear()
            _SIGNED_CSRF[(secret, raw)] = token
    setattr(g, field, token)  # what generate_csrf does: forms in this request share it
    return token


# Links without arguments (the nav's eleven, the sign-out form's action) are the same on
# every page: building each through the URL map cost ~8 % of a cached dashboard's CPU.
# The path depends only on the endpoint and the script root (a proxy's prefix), so a
# memo keyed by both is exact; anything with arguments, a blueprint-relative name or
# `_external` goes through Flask as before.
_PLAIN_URLS: dict[tuple[str, str], str] = {}
_PLAIN_URLS_MAX = 1024


def template_url_for(endpoint: str, **values: object) -> str:
    """Flask's `url_for`, memoized for argument-less absolute endpoints in a request."""
    if values or endpoint.startswith(".") or not has_request_context():
        return url_for(endpoint, **values)
    key = (endpoint, request.script_root)
    url = _PLAIN_URLS.get(key)
    if url is None:
        url = url_for(endpoint)
        if len(_PLAIN_URLS) >= _PLAIN_URLS_MAX:
            _PLAIN_URLS.clear()
        _PLAIN_URLS[key] = url
    return url


def initials(full_name: str | None) -> str:
    """"Sam Screens" -> "SS": the account menu's badge (the full name is next to it)."""
    words = [w for w in (full_name or "").split() if w[:1].isalnum()]
    if not words:
        return "?"
    picked = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return picked.upper()


def init_app(app: Flask) -> None:
    # The filters read this app's config dict directly: a dashboard calls them ~130 times
    # per page, and each `current_app` lookup through the context-local proxy cost more
    # than the (memoized) formatting itself. Still read per call, so config edits apply.
    config = app.config

    def money_filter(minor: int | None, currency: str = "USD") -> str:
        return format_money(minor or 0, currency, config.get("BABEL_LOCALE", "en_US"))

    def signed_money_filter(minor: int | None, currency: str = "USD") -> str:
        return format_signed(minor or 0, currency, config.get("BABEL_LOCALE", "en_US"))

    def when_filter(value: datetime | None, fmt: str | None = None) -> str:
        """THE date and time: `day` and `time` joined as the locale joins them."""
        if value is None:
            return ""
        zone = config.get("DISPLAY_TIMEZONE", "UTC")
        locale = config.get("BABEL_LOCALE", "en_US")
        if fmt is not None:
            return _format_datetime(as_utc(value), fmt, zone, locale)
        return (
            get_datetime_format("medium", locale=locale)
            .replace("{1}", day_filter(local_date(value, zone)))
            .replace("{0}", time_filter(value))
        )

    def time_filter(value: datetime | None) -> str:
        """THE time of day ("2:05 PM", "14:05"), in the display time zone."""
        if value is None:
            return ""
        zone = config.get("DISPLAY_TIMEZONE", "UTC")
        return _format_time(as_utc(value), zone, config.get("BABEL_LOCALE", "en_US"))

    def day_heading_filter(value: datetime | date | None, relative: bool = True) -> str:
        """A list's day heading: "Today", "Yesterday", "Mon, Nov 25" (the year if not this
        one); `relative=False` never says "Today" (a statement outlives the day)."""
        if value is None:
            return ""
        zone = config.get("DISPLAY_TIMEZONE", "UTC")
        today = local_date(datetime.now(UTC), zone)
        locale = config.get("BABEL_LOCALE", "en_US")
        return _format_heading(local_date(value, zone), today, locale, relative)

    def by_day_filter(rows: Iterable[Any], attribute: str = "created_at"):
        return group_by_day(rows, attribute, config.get("DISPLAY_TIMEZONE", "UTC"))

    def ago_filter(value: datetime | None) -> str:
        """"2 minutes ago", "3 days ago": how long ago, in the configured locale."""
        if value is None:
            return ""
        delta = as_utc(value) - datetime.now(UTC)
        return format_timedelta(
            delta,
            threshold=1.0,
            add_direction=True,
            locale=config.get("BABEL_LOCALE", "en_US"),
        )

    def day_filter(value: date | datetime | None, fmt: str = "medium") -> str:
        """THE date format; a datetime is first put on its day in the display zone."""
        if value is None:
            return ""
        value = local_date(value, config.get("DISPLAY_TIMEZONE", "UTC"))
        return _format_date(value, fmt, config.get("BABEL_LOCALE", "en_US"))

    app.jinja_env.filters.update(
        money=money_filter,
        signed_money=signed_money_filter,
        plain_amount=format_plain,
        when=when_filter,
        ago=ago_filter,
        day=day_filter,
        time=time_filter,
        day_heading=day_heading_filter,
        by_day=by_day_filter,
        device=device_label,
        kind_label=kind_label,
    )
    app.jinja_env.filters["initials"] = initials
    app.jinja_env.globals["app_env"] = app.config.get("ENV_NAME")
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["url_for"] = template_url_for

    @app.context_processor
    def _bank_name() -> dict[str, str]:
        # Per render rather than a fixed global, so a config change applies (as above).
        return {"bank_name": bank_name(config)}
