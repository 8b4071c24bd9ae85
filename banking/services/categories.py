"""A customer's category rules: "always put <merchant> under <category>", and undoing it.

A rule is metadata beside the journal: categories are worked out when movements are
read (`banking.core.categories`), so saving a rule recategorises past and future
movements at once, and removing it undoes that everywhere. Each change owns its unit of
work and commits with its audit row; the commit outdates the customer's cached pages and
insights (`banking.caching` watches CategoryOverride and bumps their data version).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from banking.core import categories
from banking.core.errors import DomainError
from banking.core.models import CategoryOverride
from banking.extensions import db
from banking.services import audit

MAX_RULES = 200  # per customer: the CSV export carries every rule in one SQL expression


class RuleRefused(DomainError):
    """The rule cannot be saved (unknown category, no merchant, too many rules)."""


@dataclass(frozen=True)
class Change:
    """What a saved rule replaced, so the customer can undo it."""

    merchant: str
    category: str
    previous: str | None  # the rule's category before (None: there was no rule)


def overrides_for(user_id: int) -> dict[str, str]:
    """The customer's rules as merchant key -> category key (one indexed query)."""
    rows = db.session.execute(
        select(CategoryOverride.merchant_key, CategoryOverride.category).where(
            CategoryOverride.user_id == user_id
        )
    )
    return {key: category for key, category in rows}


def rules_for(user_id: int) -> list[CategoryOverride]:
    """The customer's rules, by merchant, for their list."""
    return list(
        db.session.scalars(
            select(CategoryOverride)
            .where(CategoryOverride.user_id == user_id)
            .order_by(CategoryOverride.merchant_key)
        )
    )


def _rule(user_id: int, key: str) -> CategoryOverride | None:
    return db.session.scalar(
        select(CategoryOverride).where(
            CategoryOverride.user_id == user_id, CategoryOverride.merchant_key == key
        )
    )


def _clean_merchant(merchant: str) -> str:
    merchant = " ".join((merchant or "").split())[: categories.MERCHANT_KEY_MAX]
    if not merchant:
        raise RuleRefused("Choose a merchant to put under a category.", field="merchant")
    return merchant


def set_rule(user_id: int, merchant: str, category: str) -> Change:
    """Always put `merchant` under `category` (replacing the customer's rule for it)."""
    merchant = _clean_merchant(merchant)
    if not categories.is_category(category):
        raise RuleRefused("Choose a category from the list.", field="category")
    session = db.session
    key = categories.merchant_key(merchant)
    rule = _rule(user_id, key)
    previous = rule.category if rule else None
    if rule is None:
        count = len(overrides_for(user_id))
        if count >= MAX_RULES:
            raise RuleRefused(f"You can have at most {MAX_RULES} rules; remove one first.")
        rule = CategoryOverride(user_id=user_id, merchant_key=key, merchant=merchant)
        session.add(rule)
    rule.category = category
    audit.record_and_commit(
        session,
        "category_rule.set",
        user_id,
        "category_rule",
        key,
        details={"category": category, "previous": previous},
    )
    return Change(merchant=merchant, category=category, previous=previous)


def remove_rule(user_id: int, merchant: str) -> bool:
    """Remove the customer's rule for `merchant`; False when there was none."""
    key = categories.merchant_key(" ".join((merchant or "").split()))
    rule = _rule(user_id, key) if key else None
    if rule is None:
        return False
    db.session.delete(rule)
    audit.record_and_commit(
        db.session,
        "category_rule.removed",
        user_id,
        "category_rule",
        key,
        details={"category": rule.category},
    )
    return True


def undo(user_id: int, merchant: str, previous: str | None) -> None:
    """Put the rule for `merchant` back as it was: `previous` category, or no rule."""
    if previous:
        set_rule(user_id, merchant, previous)
    else:
        remove_rule(user_id, merchant)
