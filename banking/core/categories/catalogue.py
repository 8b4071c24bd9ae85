"""The categories a movement can have: a stable key (stored in overrides), a label.

Keys are stored in `category_overrides.category`, so a key is never renamed; a label
may change freely. The icons are small inline SVGs drawn by the web layer
(templates/macros/category_icon.html), keyed by the same key: no icon font, no CDN.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    key: str
    label: str


CATEGORIES: tuple[Category, ...] = (
    Category("groceries", "Groceries"),
    Category("dining", "Dining"),
    Category("transport", "Transport"),
    Category("shopping", "Shopping"),
    Category("health", "Health"),
    Category("entertainment", "Entertainment"),
    Category("bills", "Bills"),
    Category("rent", "Rent"),
    Category("salary", "Salary"),
    Category("transfers", "Transfers"),
    Category("interest", "Interest"),
    Category("fees", "Fees"),
    Category("other", "Other"),
)
BY_KEY: dict[str, Category] = {c.key: c for c in CATEGORIES}
OTHER = "other"


def label(key: str) -> str:
    """The customer's word for a category key (an unknown key reads as Other)."""
    return (BY_KEY.get(key) or BY_KEY[OTHER]).label


def is_category(key: str | None) -> bool:
    return key in BY_KEY


def match_label(text: str) -> list[str]:
    """Category keys whose label contains `text` (case-insensitive): search's facet,
    so searching "dining" finds Dining movements."""
    needle = text.strip().casefold()
    if len(needle) < 3:
        return []
    return [c.key for c in CATEGORIES if needle in c.label.casefold()]
