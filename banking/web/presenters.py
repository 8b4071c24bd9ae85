"""How the web shows domain things: display words for views and templates, in one place.

Views and templates ask here rather than spelling a word themselves, so the dashboard,
the history page and the transfer pages cannot drift apart again. The words a CSV
export or a statement also prints come from `banking.core.names` (the CLI prints them
too, and it cannot import the web); this module is the web's door to them, plus what
only the web knows, such as the configured bank name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from flask import current_app
from ua_parser import parse as parse_user_agent

from banking.core.money import format_money
from banking.core.names import KIND_LABELS, counterparty_label, kind_label, mask_name

__all__ = [
    "KIND_LABELS",
    "bank_name",
    "counterparty_label",
    "kind_label",
    "mask_name",
    "money",
]


def bank_name(config: Mapping[str, Any] | None = None) -> str:
    """The bank's name (BANK_NAME, config.py), from `config` or the current app's."""
    config = current_app.config if config is None else config
    return config["BANK_NAME"]


def money(minor: int | None, currency: str = "USD") -> str:
    """An amount for a view to put in a sentence (templates use the `money` filter)."""
    return format_money(minor or 0, currency, current_app.config.get("BABEL_LOCALE", "en_US"))


def spoken_duration(seconds: float) -> str:
    """A wait in words, rounded up so nobody comes back too early: "45 seconds",
    "1 minute", "15 minutes", "2 hours". Rate limits and lockouts say how long they last."""
    whole = max(1, math.ceil(seconds))
    if whole < 60:
        return f"{whole} second{'s' if whole != 1 else ''}"
    minutes = math.ceil(whole / 60)
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = math.ceil(minutes / 60)
    return f"{hours} hours"


@lru_cache(maxsize=1024)
def device_label(user_agent: str | None) -> str:
    """ "Chrome on Linux", "Mobile Safari on iOS": what a customer recognises in their
    sign-in activity, instead of a raw User-Agent string. Parsed by ua-parser (the
    maintained uap-core rules), memoized: the same few browsers sign in again and again.
    """
    if not user_agent:
        return "Unknown device"
    parsed = parse_user_agent(user_agent[:512])  # a header can be long; the rules need little
    browser = parsed.user_agent.family if parsed.user_agent else None
    system = parsed.os.family if parsed.os else None
    browser = None if browser in (None, "Other") else browser
    system = None if system in (None, "Other") else system
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown device"
