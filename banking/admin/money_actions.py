"""Admin actions that move money: reversal, review decisions, adjustments.

All of them go through `banking.ledger`; the audit row is written by the `on_posted`
hook inside the ledger's own database transaction, so a movement and its audit row
commit together or not at all. Affected customers' cached summaries are dropped by the
commit event in `banking.caching`.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from banking import audit, ledger
from banking.admin.errors import AdminActionRefused
from banking.models import Account, TransactionKind

# direction -> (ledger kind, system account, sign of the amount for the customer)
ADJUSTMENTS = {
    "deposit": (TransactionKind.DEPOSIT.value, ledger.EXTERNAL_CASH, 1),
    "withdrawal": (TransactionKind.WITHDRAWAL.value, ledger.EXTERNAL_CASH, -1),
    "credit": (TransactionKind.ADJUSTMENT.value, ledger.SUSPENSE, 1),
    "debit": (TransactionKind.ADJUSTMENT.value, ledger.SUSPENSE, -1),
}


def _hook(action: str, actor_id: int, **extra):
    return audit.transaction_hook(
        action,
        actor_id=actor_id,
        details=lambda txn: {
            "amount": txn.amount,
            "kind": txn.kind,
            "status": txn.status,
            **extra,
        },
    )


def reverse(session: Session, transaction_id: int, *, actor_id: int, reason: str):
    """Post the mirror image of a posted transaction; a second attempt is AlreadyReversed."""
    return ledger.reverse_transaction(
        session,
        transaction_id,
        initiator_id=actor_id,
        reason=reason,
        on_posted=_hook(
            "admin.transaction.reverse", actor_id, reason=reason, reverses=transaction_id
        ),
    )


def approve(session: Session, transaction_id: int, *, actor_id: int, reason: str):
    return ledger.approve_hold(
        session,
        transaction_id,
        admin_id=actor_id,
        reason=reason,
        on_posted=_hook("admin.review.approve", actor_id, reason=reason),
    )


def reject(session: Session, transaction_id: int, *, actor_id: int, reason: str):
    return ledger.reject_hold(
        session,
        transaction_id,
        admin_id=actor_id,
        reason=reason,
        on_posted=_hook("admin.review.reject", actor_id, reason=reason),
    )


def adjust(
    session: Session,
    account_id: int,
    *,
    direction: str,
    amount: int,
    key: str,
    actor_id: int,
    reason: str,
):
    """Deposit, withdraw or correct against the matching system account."""
    if direction not in ADJUSTMENTS:
        raise AdminActionRefused("Choose a valid adjustment type.")
    account = session.get(Account, account_id)
    if account is None or account.is_system:
        raise AdminActionRefused("Adjustments apply to customer accounts only.")
    kind, system_code, sign = ADJUSTMENTS[direction]
    return ledger.post_adjustment(
        session,
        account_id=account_id,
        amount=sign * amount,
        initiator_id=actor_id,
        key=f"admin-adjust:{key}",
        memo=reason,
        kind=kind,
        system_code=system_code,
        on_posted=_hook(
            "admin.adjustment",
            actor_id,
            reason=reason,
            direction=direction,
            account_id=account_id,
        ),
    )
