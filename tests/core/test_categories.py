"""The category rules, without an app: the order of the rules, the merchant key, the
fallbacks by kind and side, and the demo's merchants in sensible categories."""

from __future__ import annotations

import pytest

from banking.core.categories import categorise, label, match_label, merchant_key
from banking.core.categories.rules import BANK, CUSTOMER, EXTERNAL, NONE, OWN


def external(memo: str, overrides=None, kind: str = "withdrawal") -> str:
    return categorise(side=EXTERNAL, kind=kind, memo=memo, overrides=overrides)


@pytest.mark.parametrize(
    ("memo", "category"),
    [
        ("Card purchase — Corner Grocery", "groceries"),
        ("Card purchase — FreshMart", "groceries"),
        ("Card purchase — Blue Bottle Coffee", "dining"),
        ("Card purchase — City Transit", "transport"),
        ("Card purchase — Shell Fuel", "transport"),
        ("Card purchase — Pharmacy Plus", "health"),
        ("Card purchase — Bookworm Books", "shopping"),
        ("Card purchase — Streamly", "entertainment"),
        ("Card purchase — Pizza Palace", "dining"),
        ("Card purchase — Hardware Depot", "shopping"),
        ("Salary — Northwind Traders", "salary"),
        ("Annual bonus — Wayne Foods", "salary"),
        ("Rent — Maple Street Apartments", "rent"),
        ("Opening deposit", "other"),
        ("Card purchase — Unknown Place", "other"),
        ("Current costs — Somewhere", "other"),  # "rent" hides in "current": a word is needed
    ],
)
def test_the_default_rules_name_the_demo_merchants(memo, category):
    assert external(memo) == category


def test_the_customers_rule_comes_first_and_is_keyed_loosely():
    rules = {merchant_key("Blue Bottle Coffee"): "shopping"}
    assert external("Card purchase —   blue  BOTTLE\tcoffee ", rules) == "shopping"
    assert external("Salary — Blue Bottle Coffee", rules) == "shopping"
    assert external("Card purchase — Blue Bottle Coffee", {"blue bottle coffee": "bogus"}) == (
        "dining"
    )


@pytest.mark.parametrize(
    ("side", "kind", "category"),
    [
        (BANK, "interest", "interest"),
        (BANK, "adjustment", "fees"),
        (OWN, "transfer", "transfers"),
        (CUSTOMER, "transfer", "transfers"),
        (NONE, "deposit", "other"),
    ],
)
def test_movements_without_a_merchant_fall_back_on_their_side_and_kind(side, kind, category):
    assert categorise(side=side, kind=kind, memo="Coffee — Blue Bottle") == category


def test_labels_and_the_search_facet():
    assert label("dining") == "Dining" and label("nonsense") == "Other"
    assert match_label("DIN") == ["dining"]
    assert match_label("di") == []  # too short to mean a category
    assert merchant_key("  CAFÉ  Élan ") == "cafÉ Élan"  # ASCII only: as PostgreSQL does it
