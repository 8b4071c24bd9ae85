"""Categories of movements: metadata worked out beside the journal, never stored in it.

- `catalogue`: the categories (stable key, label);
- `rules`: `categorise` (the customer's overrides, then the default rules) and the
  merchant key overrides are stored under;
- `sql`: the same rules as one SQL expression, for the PostgreSQL CSV export.
"""

from banking.core.categories.catalogue import (
    BY_KEY,
    CATEGORIES,
    OTHER,
    Category,
    is_category,
    label,
    match_label,
)
from banking.core.categories.rules import (
    EXTERNAL,
    MERCHANT_KEY_MAX,
    categorise,
    categorise_row,
    merchant_key,
    merchant_of,
    side_of,
)

__all__ = [
    "BY_KEY",
    "CATEGORIES",
    "EXTERNAL",
    "MERCHANT_KEY_MAX",
    "OTHER",
    "Category",
    "categorise",
    "categorise_row",
    "is_category",
    "label",
    "match_label",
    "merchant_key",
    "merchant_of",
    "side_of",
]
