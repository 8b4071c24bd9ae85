"""Reversing a posted transaction: its mirror image, posted at most once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from banking.core.clock import SYSTEM_CLOCK, Clock
from banking.core.ledger.errors import AlreadyReversed, LedgerError, NotReversible
from banking.core.ledger.movements import Hook, Movement, PostingResult
from banking.core.ledger.outcomes import observed
from banking.core.ledger.posting import _execute
from banking.core.ledger.retries import with_retries
from banking.core.models import JournalTransaction, TransactionKind, TransactionStatus


def reverse_transaction(
    session: Session,
    transaction_id: int,
    *,
    initiator_id: int | None,
    reason: str,
    on_posted: Hook | None = None,
    max_retries: int = 8,
    clock: Clock = SYSTEM_CLOCK,
) -> PostingResult:
    """Post the mirror image of a posted transaction; a transaction is reversed at most once.

    The checks (posted, not itself a reversal, not reversed yet) run in the *same* database
    transaction as the posting, with the original's row locked, so two admins reversing at
    once are serialized and the second one is told AlreadyReversed. The caller's open
    transaction is continued, not discarded first; like every posting function this one
    then commits it (or rolls it back on a refusal), because its retry loop must be able
    to restart the whole transaction. Work that must commit with the reversal belongs in
    `on_posted`.
    """

    def attempt() -> PostingResult:
        try:
            movement = _mirror_of(session, transaction_id, reason)
        except BaseException:
            session.rollback()
            raise
        try:
            return _execute(session, movement, on_posted, clock, decided_by=initiator_id)
        except IntegrityError as exc:
            # Only the unique reverses_id means "someone else reversed it first".
            session.rollback()
            found = _reversal_of(session, transaction_id)
            session.rollback()
            if found is None:
                raise
            raise AlreadyReversed() from exc

    def reverse() -> PostingResult:
        result = with_retries(session, attempt, max_retries)
        if result.replayed:
            raise AlreadyReversed()
        return result

    return observed(TransactionKind.REVERSAL.value, reverse)


def _mirror_of(session: Session, transaction_id: int, reason: str) -> Movement:
    """The reversing movement, after checking (under the original's row lock) it may be made."""
    original = session.scalar(
        select(JournalTransaction)
        .where(JournalTransaction.id == transaction_id)
        # OF: only the journal row, not the accounts the model eager-joins (see holds.py).
        .with_for_update(of=JournalTransaction, key_share=True)
        .execution_options(populate_existing=True)
    )
    if original is None:
        raise LedgerError("That transaction was not found.")
    if original.status != TransactionStatus.POSTED.value:
        raise NotReversible()
    if original.kind == TransactionKind.REVERSAL.value:
        raise NotReversible("A reversal cannot itself be reversed; post an adjustment.")
    if _reversal_of(session, transaction_id) is not None:
        raise AlreadyReversed()
    return Movement(
        kind=TransactionKind.REVERSAL.value,
        source_id=original.destination_account_id,
        destination_id=original.source_account_id,
        amount=original.amount,
        key=f"reversal-of-{transaction_id}",
        initiator_id=None,  # one reversal per transaction, whoever asks
        memo=f"Reversal of #{transaction_id}: {reason}"[:140],
        admin=True,
        reverses_id=transaction_id,
    )


def _reversal_of(session: Session, transaction_id: int) -> int | None:
    return session.scalar(
        select(JournalTransaction.id).where(JournalTransaction.reverses_id == transaction_id)
    )
