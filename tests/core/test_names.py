"""What a movement is called: who was on the other side first, the kind second."""

from __future__ import annotations

import pytest

from banking.core.ledger import EXTERNAL_CASH, INTEREST_EXPENSE
from banking.core.names import counterparty_title, decline_reason, memo_party, movement_detail


def title(**overrides) -> str:
    values = {
        "other_number": "123456781234",
        "other_kind": "checking",
        "other_system_code": None,
        "other_nickname": "",
        "other_owner_id": 2,
        "own_owner_id": 1,
        "other_owner_name": "Jane Doe",
        "memo": "",
        "kind": "transfer",
    }
    return counterparty_title(**{**values, **overrides})


@pytest.mark.parametrize(
    ("memo", "expected"),
    [
        ("Card purchase — Corner Café", ("Corner Café", "Card purchase")),
        ("Rent — A — B", ("A — B", "Rent")),  # the first separator splits
        ("Card purchase — ", ("", "Card purchase — ")),  # names nobody
        ("no separator—here", ("", "no separator—here")),
        ("", ("", "")),
        (None, ("", "")),
    ],
)
def test_memo_party_splits_what_from_who(memo, expected):
    assert memo_party(memo) == expected


def test_the_other_side_is_the_title():
    assert title() == "J*** D*** ••••1234"  # another customer: masked, as everywhere
    assert title(other_owner_name=None) == "Another customer ••••1234"
    assert title(other_owner_id=1, other_nickname="Rainy-day savings") == "Your Rainy-day savings"
    assert title(other_owner_id=1, other_kind="savings") == "Your Savings ••••1234"
    external = {"other_kind": "system", "other_system_code": EXTERNAL_CASH, "other_owner_id": None}
    assert title(**external, memo="Salary — Acme Ltd", kind="deposit") == "Acme Ltd"
    assert title(**external, memo="At the branch", kind="deposit") == "Deposit"
    bank = {"other_kind": "system", "other_system_code": INTEREST_EXPENSE, "other_owner_id": None}
    assert title(**bank, memo="Interest — November", kind="interest") == "The bank"
    assert title(other_number=None) == ""


def test_the_detail_line_never_repeats_the_title():
    assert movement_detail("Corner Café", "withdrawal", "Card purchase — Corner Café") == (
        "Withdrawal · Card purchase"
    )
    assert movement_detail("Deposit", "deposit", "At the branch") == "At the branch"
    assert movement_detail("Deposit", "deposit", "") == ""
    assert movement_detail("J*** D*** ••••1234", "transfer", "Lunch") == "Transfer · Lunch"


def test_decline_reason_in_words():
    assert decline_reason("expired", "expired") == "It was not reviewed in time."
    assert decline_reason("rejected", "  ") == "No reason was given."
    assert decline_reason("rejected", "Payee unverified") == "Payee unverified"
