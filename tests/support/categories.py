"""Movements from and to outside the bank, named the way categories read them."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import uuid4

from banking.core import ledger
from banking.core.clock import FixedClock
from banking.core.money import parse_amount
from tests.support.database import as_database

if TYPE_CHECKING:
    from tests.support.builders import Bank


def external(bank: Bank, account_id: int, amount: str, memo: str, *, at=None) -> None:
    """Money in (amount > 0, a deposit) or out (a leading "-": a withdrawal) with `memo`,
    "Card purchase — Blue Bottle Coffee" style, through the ledger, optionally at `at`."""
    out = amount.startswith("-")
    minor = parse_amount(amount.lstrip("-"))
    options = {"clock": FixedClock(at)} if at is not None else {}
    with as_database(bank).session() as session:
        ledger.post_adjustment(
            session,
            account_id=account_id,
            amount=-minor if out else minor,
            initiator_id=None,
            key=f"test-external-{uuid4()}",
            memo=memo,
            kind="withdrawal" if out else "deposit",
            system_code=ledger.EXTERNAL_CASH,
            **options,
        )


def card_purchase(bank: Bank, account_id: int, amount: str, merchant: str, *, at=None) -> None:
    external(bank, account_id, f"-{amount}", f"Card purchase — {merchant}", at=at)
