"""What things are called in front of a customer: other people's names, kinds of movement.

These words are shared by every place a customer reads them: the web pages (through
the web layer's presenters), the CSV exports and the monthly statements (core, also run
from the CLI). They live in the core so that none of those needs another layer to say
the same thing the same way.
"""

from __future__ import annotations

from banking.core.models import TransactionKind

# One word per kind of movement: the dashboard and the history page used to disagree
# ("Adjustment by the bank" vs "Adjustment").
KIND_LABELS: dict[str, str] = {
    TransactionKind.TRANSFER.value: "Transfer",
    TransactionKind.DEPOSIT.value: "Deposit",
    TransactionKind.WITHDRAWAL.value: "Withdrawal",
    TransactionKind.ADJUSTMENT.value: "Adjustment by the bank",
    TransactionKind.INTEREST.value: "Interest",
    TransactionKind.REVERSAL.value: "Reversal",
}


def kind_label(kind: str) -> str:
    """The customer's word for a kind of movement (an unknown kind: its own name)."""
    return KIND_LABELS.get(kind) or kind.capitalize()


def mask_name(full_name: str) -> str:
    """ "Jane Doe" -> "J*** D***": enough to recognise a payee, not enough to learn a name.

    Another customer's name is always shown this way (transfer pages, payees, history,
    the dashboard), so the rule lives once, where the history queries can reach it too.
    """
    return " ".join(f"{word[0]}***" for word in full_name.split() if word) or "***"


def counterparty_label(full_name: str | None, masked_number: str) -> str:
    """Another customer's account as "J*** D*** ••••1234" (just the number if unnamed)."""
    return " ".join(filter(None, [mask_name(full_name) if full_name else "", masked_number]))
