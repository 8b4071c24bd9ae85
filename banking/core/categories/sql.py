"""`rules.categorise` as one SQL expression, for the PostgreSQL CSV export (COPY).

The COPY export formats every line in the database (`history.copy_export`), so the
category column must be worked out there too. Each branch below mirrors one line of
`rules.categorise`; tests/web/accounts/test_export_copy.py compares the bytes of both
export paths, so the day they drift apart a test fails. PostgreSQL only (regexp_replace).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Text, case, func, literal

from banking.core.categories.catalogue import BY_KEY, OTHER, label
from banking.core.categories.rules import MERCHANT_KEY_MAX, MERCHANT_RULES, WHAT_RULES
from banking.core.ledger.system_accounts import EXTERNAL_CASH
from banking.core.models import AccountKind, TransactionKind
from banking.core.names import PARTY_SEPARATOR

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _python_whitespace() -> str:
    """`str.split()`'s whitespace as a regex bracket body (every char `isspace` accepts)."""
    return "".join(chr(code) for code in range(0x3001) if chr(code).isspace())


_WS = _python_whitespace()


def _key(text):
    """`rules.merchant_key`: whitespace runs -> one space, trimmed, ASCII lowercased, cut."""
    collapsed = func.btrim(func.regexp_replace(text, f"[{_WS}]+", " ", "g"), " ")
    return func.left(func.translate(collapsed, _UPPER, _UPPER.lower()), MERCHANT_KEY_MAX)


def _first(rules, target, *, words: bool = False):
    """`rules._first` / `rules._first_word`: a CASE in the rules' order (None: no rule).
    With `words`, `target` is the key with a space on each side."""
    whens = [
        (func.strpos(target, f" {keyword} " if words else keyword) > 0, literal(label(cat)))
        for keyword, cat in rules
    ]
    return case(*whens, else_=None)


def category_keys(c) -> list:
    """The row's merchant and memo keys, as columns (`named`, `who_key`, `what_words`) for
    a subquery under the one that reads them (`category_label_sql`).

    Inlined into the CASE below, the same `regexp_replace` would run once per keyword
    (PostgreSQL does not share sub-expressions), which made the export five times slower.
    The caller selects them in a subquery with `OFFSET 0`, which keeps the planner from
    pulling them back up into the expression.
    """
    memo = func.coalesce(c.memo, "")
    at = func.strpos(memo, PARTY_SEPARATOR)
    who = case((at > 0, func.substr(memo, at + len(PARTY_SEPARATOR), type_=Text)), else_="")
    what = case((at > 0, func.left(memo, at - 1, type_=Text)), else_=memo)
    # `memo_party`: a memo whose "who" is empty names nobody; its "what" is the whole memo.
    named = (at > 0) & (who != "")
    what = case((named, what), else_=memo)
    return [
        named.label("named"),
        _key(who).label("who_key"),
        (literal(" ") + _key(what) + literal(" ")).label("what_words"),
    ]


def category_label_sql(c, overrides: Mapping[str, str] | None = None):
    """The category label of the row `c`: the columns of `history.rows._movement_columns`
    and the `category_keys` of the subquery below."""
    named, who_key, what_words = c.named, c.who_key, c.what_words
    chosen = [
        (who_key == key, literal(label(cat)))
        for key, cat in sorted((overrides or {}).items())
        if cat in BY_KEY
    ]
    what_rule = _first(WHAT_RULES, what_words, words=True)
    defaults = [what_rule, _first(MERCHANT_RULES, who_key), literal(label(OTHER))]
    merchant = func.coalesce(*([case(*chosen, else_=None)] if chosen else []), *defaults)
    unnamed = func.coalesce(what_rule, literal(label(OTHER)))
    return case(
        (c.kind == TransactionKind.INTEREST.value, literal(label("interest"))),
        (c.other_number.is_(None), literal(label(OTHER))),
        (
            (c.other_kind == AccountKind.SYSTEM.value) & (c.other_system_code == EXTERNAL_CASH),
            case((named, merchant), else_=unnamed),
        ),
        (c.other_kind == AccountKind.SYSTEM.value, literal(label("fees"))),
        else_=literal(label("transfers")),
    )
