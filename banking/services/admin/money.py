"""Admin actions that move money: reversal, review decisions, adjustments.

All of them go through `banking.core.ledger`; the audit row is written by the `on_posted`
hook inside the ledger's own database transaction, so a movement and its audit row
commit together or not at all. Affected customers' cached summaries are dropped by the
commit event in `banking.caching`.

No admin acts on money of their own (`guards`): adjusting, reversing or deciding a
transfer that touches the admin's own account is refused whatever the amount. Whether a
large one must first be approved by a second admin is `dual_control`'s decision; these
functions post. Each is one unit of work (`work.unit_of_work`): the ledger commits the
movement with its audit row, and a refusal leaves nothing behind in the session.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from banking.core import ledger
from banking.core.models import Account, JournalTransaction, TransactionKind
from banking.services import audit, notifications
from banking.services.actor import Actor
from banking.services.admin import guards, work
from banking.services.admin.errors import AdminActionRefused

# direction -> (ledger kind, system account, sign of the amount for the customer)
ADJUSTMENTS = {
    "deposit": (TransactionKind.DEPOSIT.value, ledger.EXTERNAL_CASH, 1),
    "withdrawal": (TransactionKind.WITHDRAWAL.value, ledger.EXTERNAL_CASH, -1),
    "credit": (TransactionKind.ADJUSTMENT.value, ledger.SUSPENSE, 1),
    "debit": (TransactionKind.ADJUSTMENT.value, ledger.SUSPENSE, -1),
}


NEEDS_SECOND_ADMIN = "This is above the dual-control threshold: a second admin must approve it."
Claim = Callable[[Session, JournalTransaction], None]


def _hook(action: str, actor: Actor, claim: Claim | None = None, **extra):
    """The audit hook; with `claim`, first mark the approved request decided, in the same
    database transaction as the movement (see `dual_control`): both commit, or neither."""
    record = audit.transaction_hook(
        action,
        actor_id=actor.user_id,
        details=lambda txn: {
            "amount": txn.amount,
            "kind": txn.kind,
            "status": txn.status,
            **extra,
            "via": actor.via,
        },
    )
    if claim is None:
        return record

    def claim_then_record(session: Session, txn: JournalTransaction) -> None:
        claim(session, txn)
        record(session, txn)

    return claim_then_record


def reverse(
    transaction_id: int,
    *,
    actor: Actor,
    reason: str,
    claim: Claim | None = None,
    extra: dict | None = None,
) -> ledger.PostingResult:
    """Post the mirror image of a posted transaction; a second attempt is AlreadyReversed."""
    with work.unit_of_work() as session:
        guards.refuse_own_transaction(session, transaction_id, actor.user_id)
        original = session.get(JournalTransaction, transaction_id)
        if claim is None and original and original.amount > guards.dual_control_threshold():
            raise AdminActionRefused(NEEDS_SECOND_ADMIN)  # only `dual_control.approve` posts it
        return ledger.reverse_transaction(
            session,
            transaction_id,
            initiator_id=actor.user_id,
            reason=reason,
            on_posted=_hook(
                "admin.transaction.reverse",
                actor,
                claim,
                reason=reason,
                reverses=transaction_id,
                **(extra or {}),
            ),
        )


def approve(transaction_id: int, *, actor: Actor, reason: str) -> ledger.PostingResult:
    """Capture a held transfer; never one to or from an account of the deciding admin."""
    return _decide(ledger.approve_hold, "admin.review.approve", transaction_id, actor, reason)


def reject(transaction_id: int, *, actor: Actor, reason: str) -> ledger.PostingResult:
    """Release a held transfer back to the sender; the customer sees the reason."""
    return _decide(ledger.reject_hold, "admin.review.reject", transaction_id, actor, reason)


def _decide(
    decide: Callable[..., ledger.PostingResult],
    action: str,
    transaction_id: int,
    actor: Actor,
    reason: str,
) -> ledger.PostingResult:
    """Approve or reject a held transfer: the same guard, unit of work and audit hook."""
    with work.unit_of_work() as session:
        guards.refuse_own_transaction(session, transaction_id, actor.user_id)
        return decide(
            session,
            transaction_id,
            admin_id=actor.user_id,
            reason=reason,
            # The customers hear of it in the decision's own transaction (their emails
            # are queued by `work.unit_of_work` once it is committed).
            on_posted=notifications.with_hold_notices(_hook(action, actor, reason=reason)),
        )


def check_adjustment(
    session: Session, account_id: int, *, direction: str, amount: int, actor_id: int | None
) -> None:
    """Refuse what no admin may post: a bad type, a system or own account, too much."""
    if direction not in ADJUSTMENTS:
        raise AdminActionRefused("Choose a valid adjustment type.")
    account = session.get(Account, account_id)
    if account is None or account.is_system:
        raise AdminActionRefused("Adjustments apply to customer accounts only.")
    guards.refuse_own_account(session, account_id, actor_id)
    guards.refuse_oversized_adjustment(amount, account.currency)


def adjust(
    account_id: int,
    *,
    direction: str,
    amount: int,
    key: str,
    actor: Actor,
    reason: str,
    maker_id: int | None = None,
    claim: Claim | None = None,
    extra: dict | None = None,
) -> ledger.PostingResult:
    """Deposit, withdraw or correct against the matching system account, now.

    `maker_id` is the admin who asked when a second admin (`actor`) approves it: the
    journal row names the maker as initiator, the audit row both.
    """
    with work.unit_of_work() as session:
        check_adjustment(
            session, account_id, direction=direction, amount=amount, actor_id=actor.user_id
        )
        if claim is None and amount > guards.dual_control_threshold():
            raise AdminActionRefused(NEEDS_SECOND_ADMIN)  # only `dual_control.approve` posts it
        if maker_id is not None:
            guards.refuse_own_account(session, account_id, maker_id)
        kind, system_code, sign = ADJUSTMENTS[direction]
        return ledger.post_adjustment(
            session,
            account_id=account_id,
            amount=sign * amount,
            initiator_id=maker_id if maker_id is not None else actor.user_id,
            key=f"admin-adjust:{key}",
            memo=reason,
            kind=kind,
            system_code=system_code,
            on_posted=_hook(
                "admin.adjustment",
                actor,
                claim,
                reason=reason,
                direction=direction,
                account_id=account_id,
                **(extra or {}),
            ),
        )
