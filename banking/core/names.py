"""What things are called in front of a customer: other people's names, kinds of movement.

These words are shared by every place a customer reads them: the web pages (through
the web layer's presenters), the CSV exports and the monthly statements (core, also run
from the CLI). They live in the core so that none of those needs another layer to say
the same thing the same way.
"""

from __future__ import annotations

from banking.core.ledger.system_accounts import EXTERNAL_CASH
from banking.core.models import AccountKind, TransactionKind, TransactionStatus

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


# A movement from or to outside the bank (a card purchase, a salary, rent) is booked
# against the external-cash account; who was really on the other side is in its memo,
# written "<what> — <who>" ("Card purchase — Corner Café", "Salary — Acme Ltd").
PARTY_SEPARATOR = " — "
# The other side of interest and corrections: the bank itself. The configured name is
# web configuration, which the core (also run by the CLI and the COPY export) cannot read.
THE_BANK = "The bank"


def memo_party(memo: str | None) -> tuple[str, str]:
    """(who, what) from an external movement's memo: "Rent — Ames Lettings" ->
    ("Ames Lettings", "Rent"); ("", memo) when the memo names nobody."""
    what, separator, who = (memo or "").partition(PARTY_SEPARATOR)
    if not separator or not who:
        return "", memo or ""
    return who, what


def counterparty_title(
    *,
    other_number: str | None,
    other_kind: str | None,
    other_system_code: str | None,
    other_nickname: str | None,
    other_owner_id: int | None,
    own_owner_id: int | None,
    other_owner_name: str | None,
    memo: str | None,
    kind: str,
) -> str:
    """Who was on the other side, as the title of a movement on every page and export:
    the merchant, employer or landlord; "Your Rainy-day savings"; another customer as
    "J*** D*** ••••1234" (masked, as everywhere); "The bank" for interest and corrections.

    The PostgreSQL CSV export repeats this rule in SQL (`history.copy_export`), and a
    test compares the two byte for byte: change both or neither.
    """
    if other_number is None:
        return ""
    masked = f"••••{other_number[-4:]}"
    if other_kind == AccountKind.SYSTEM.value:
        if other_system_code == EXTERNAL_CASH:
            return memo_party(memo)[0] or kind_label(kind)
        return THE_BANK
    if other_owner_id is not None and other_owner_id == own_owner_id:
        if other_nickname:
            return f"Your {other_nickname}"
        return f"Your {(other_kind or 'account').capitalize()} {masked}"
    name = mask_name(other_owner_name) if other_owner_name else "Another customer"
    return f"{name} {masked}"


def movement_detail(title: str, kind: str, memo: str | None) -> str:
    """The line under the title: the kind of movement, then what the memo adds.

    "Withdrawal · Card purchase" (the merchant is already the title), "Transfer · Lunch";
    never the same word twice ("Deposit" titled by its kind shows just its memo).
    """
    label = kind_label(kind)
    who, what = memo_party(memo)
    extra = what if who and who == title else (memo or "")
    parts = [label] if label != title else []
    if extra and extra != title:
        parts.append(extra)
    return " · ".join(parts)


EXPIRED_REASON = "It was not reviewed in time."


def decline_reason(status: str, decision_reason: str | None) -> str:
    """Why a held transfer was not sent, in words for its sender (history, dashboard)."""
    if status == TransactionStatus.EXPIRED.value:
        return EXPIRED_REASON
    return (decision_reason or "").strip() or "No reason was given."
