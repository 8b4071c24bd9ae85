"""Which category a movement is in: the customer's overrides, then the default rules.

A category is worked out when a movement is read, never stored beside it: the journal is
untouched, and a customer's override ("always put Blue Bottle Coffee under Dining")
applies to past and future movements alike; removing it undoes it everywhere.

Inputs are what every history row already has: the other side of the movement (`side`),
the merchant (the "who" of an external memo, `names.memo_party`), the memo's "what", the
kind and the direction. Overrides are keyed by the merchant key (`merchant_key`): the
merchant with whitespace collapsed and ASCII letters lowercased. ASCII-only on purpose:
the PostgreSQL CSV export repeats these rules in SQL (`categories.sql`), and `lower()`
of non-ASCII letters depends on the database's locale, Python's does not.
"""

from __future__ import annotations

from collections.abc import Mapping

from banking.core.categories.catalogue import BY_KEY, OTHER
from banking.core.ledger.system_accounts import EXTERNAL_CASH
from banking.core.models import AccountKind, TransactionKind
from banking.core.names import memo_party

# The other side of a movement, as far as categories care.
EXTERNAL = "external"  # outside the bank (a merchant, employer, landlord): a memo names it
BANK = "bank"  # the bank itself (interest, corrections)
OWN = "own"  # another account of the same customer
CUSTOMER = "customer"  # another customer
NONE = "none"  # no other side (should not happen for a posted entry)

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
MERCHANT_KEY_MAX = 200

# What the memo says the movement is ("Salary — Acme"): checked before the merchant, as
# it names the movement's nature. (a whole word of the "what" key, category), first wins.
WHAT_RULES: tuple[tuple[str, str], ...] = (
    ("salary", "salary"),
    ("payroll", "salary"),
    ("bonus", "salary"),
    ("wage", "salary"),
    ("rent", "rent"),
    ("refund", "shopping"),
)
# Merchant keywords -> category: (keyword in the merchant key, category), first match wins.
# Substrings of the lowercased merchant: choose words that do not hide inside others.
MERCHANT_RULES: tuple[tuple[str, str], ...] = (
    ("grocer", "groceries"),
    ("supermarket", "groceries"),
    ("freshmart", "groceries"),
    ("market", "groceries"),
    ("coffee", "dining"),
    ("café", "dining"),
    ("cafe", "dining"),
    ("pizza", "dining"),
    ("restaurant", "dining"),
    ("bakery", "dining"),
    ("burger", "dining"),
    ("diner", "dining"),
    ("transit", "transport"),
    ("fuel", "transport"),
    ("taxi", "transport"),
    ("railway", "transport"),
    ("parking", "transport"),
    ("pharmacy", "health"),
    ("clinic", "health"),
    ("dental", "health"),
    ("stream", "entertainment"),
    ("cinema", "entertainment"),
    ("theatre", "entertainment"),
    ("books", "shopping"),
    ("hardware", "shopping"),
    ("store", "shopping"),
    ("shop", "shopping"),
    ("electric", "bills"),
    ("water", "bills"),
    ("telecom", "bills"),
    ("mobile", "bills"),
    ("insurance", "bills"),
    ("apartments", "rent"),
    ("rentals", "rent"),
    ("properties", "rent"),
    ("lettings", "rent"),
)


def merchant_key(merchant: str) -> str:
    """"  Blue  BOTTLE Coffee " -> "blue bottle coffee": what overrides are keyed by."""
    return " ".join(merchant.split()).translate(_ASCII_LOWER)[:MERCHANT_KEY_MAX]


def side_of(
    *,
    other_number: str | None,
    other_kind: str | None,
    other_system_code: str | None,
    other_owner_id: int | None,
    own_owner_id: int | None,
) -> str:
    """Which side the movement came from or went to (the columns every history row has)."""
    if other_number is None:
        return NONE
    if other_kind == AccountKind.SYSTEM.value:
        return EXTERNAL if other_system_code == EXTERNAL_CASH else BANK
    if other_owner_id is not None and other_owner_id == own_owner_id:
        return OWN
    return CUSTOMER


def merchant_of(side: str, memo: str | None) -> str:
    """The merchant an override can name: the "who" of an external memo, else ""."""
    return memo_party(memo)[0] if side == EXTERNAL else ""


def _first(rules: tuple[tuple[str, str], ...], key: str) -> str | None:
    """The first rule whose keyword is inside `key` (a substring)."""
    for keyword, category in rules:
        if keyword in key:
            return category
    return None


def _first_word(rules: tuple[tuple[str, str], ...], key: str) -> str | None:
    """The first rule whose keyword is a whole word of `key` ("rent", not "current")."""
    padded = f" {key} "
    for keyword, category in rules:
        if f" {keyword} " in padded:
            return category
    return None


def categorise(
    *,
    side: str,
    kind: str,
    memo: str | None,
    overrides: Mapping[str, str] | None = None,
) -> str:
    """The category key of one movement (see the module docstring for the order)."""
    if kind == TransactionKind.INTEREST.value:
        return "interest"
    if side == BANK:
        return "fees"
    if side in (OWN, CUSTOMER):
        return "transfers"
    if side != EXTERNAL:
        return OTHER
    who, what = memo_party(memo)
    if who:
        key = merchant_key(who)
        chosen = (overrides or {}).get(key)
        if chosen in BY_KEY:
            return chosen
        return _first_word(WHAT_RULES, merchant_key(what)) or _first(MERCHANT_RULES, key) or OTHER
    return _first_word(WHAT_RULES, merchant_key(what)) or OTHER


def categorise_row(row, overrides: Mapping[str, str] | None = None) -> str:
    """`categorise` of a history query row (the columns of `history.rows._movement_columns`)."""
    side = side_of(
        other_number=row.other_number,
        other_kind=row.other_kind,
        other_system_code=row.other_system_code,
        other_owner_id=row.other_owner_id,
        own_owner_id=row.own_owner_id,
    )
    return categorise(side=side, kind=row.kind, memo=row.memo, overrides=overrides)
