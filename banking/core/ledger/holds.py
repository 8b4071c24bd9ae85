"""Transfers held for review: capture (approve), release (reject) and expiry.

Like posting, each decision is one database transaction that this module commits itself,
so `retries.with_retries` can restart it whole; the caller's `on_posted` hook runs inside
it (the admin's audit row commits with the decision or not at all).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from banking.core.clock import SYSTEM_CLOCK, Clock
from banking.core.ledger import rules
from banking.core.ledger.errors import NotPending
from banking.core.ledger.locking import lock_accounts
from banking.core.ledger.movements import Hook, PostingResult
from banking.core.ledger.posting import posting_result, write_entries
from banking.core.ledger.retries import with_retries
from banking.core.models import Hold, JournalTransaction, TransactionStatus


def approve_hold(
    session: Session,
    transaction_id: int,
    *,
    admin_id: int,
    reason: str,
    on_posted: Hook | None = None,
    max_retries: int = 8,
    clock: Clock = SYSTEM_CLOCK,
) -> PostingResult:
    """Capture a held transfer: the reserved money now leaves the source and arrives."""
    return with_retries(
        session,
        lambda: _decide_hold(session, transaction_id, admin_id, reason, True, on_posted, clock),
        max_retries,
    )


def reject_hold(
    session: Session,
    transaction_id: int,
    *,
    admin_id: int | None,
    reason: str,
    on_posted: Hook | None = None,
    max_retries: int = 8,
    clock: Clock = SYSTEM_CLOCK,
) -> PostingResult:
    """Release a held transfer: the reserved money is available to the customer again."""
    return with_retries(
        session,
        lambda: _decide_hold(session, transaction_id, admin_id, reason, False, on_posted, clock),
        max_retries,
    )


def expire_holds(
    session: Session,
    *,
    now: datetime | None = None,
    on_expired: Hook | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> int:
    """Release every hold past its expiry (at `now`, default the clock's); returns how many.

    `on_expired` runs inside each release's own database transaction, like `on_posted`
    elsewhere, so the audit row of an expiry commits with it or not at all. The read of
    due holds is ended before the releases begin: each release is its own transaction.
    """
    now = now or clock.now()
    ids = session.scalars(
        select(Hold.transaction_id).where(Hold.active.is_(True), Hold.expires_at <= now)
    ).all()
    session.rollback()
    released = 0
    for transaction_id in ids:
        try:
            reject_hold(
                session,
                transaction_id,
                admin_id=None,
                reason="expired",
                on_posted=on_expired,
                clock=clock,
            )
            released += 1
        except NotPending:
            continue
    return released


def _decide_hold(
    session: Session,
    transaction_id: int,
    admin_id: int | None,
    reason: str,
    approve: bool,
    on_posted: Hook | None,
    clock: Clock,
) -> PostingResult:
    try:
        txn = session.scalar(
            select(JournalTransaction)
            .where(JournalTransaction.id == transaction_id)
            # OF: the model eager-joins its accounts (LEFT OUTER JOIN), which PostgreSQL
            # refuses to lock; only the transaction row needs the lock here anyway.
            .with_for_update(of=JournalTransaction, key_share=True)
            .execution_options(populate_existing=True)
        )
        if txn is None or txn.status != TransactionStatus.PENDING.value:
            raise NotPending()
        accounts = lock_accounts(session, [txn.source_account_id, txn.destination_account_id])
        source = accounts[txn.source_account_id]
        destination = accounts[txn.destination_account_id]
        hold = session.scalar(
            select(Hold).where(Hold.transaction_id == txn.id, Hold.active.is_(True))
        )
        if hold is None:
            raise NotPending()
        if approve:
            rules.check_capturable(source, destination)
        now = clock.now()
        hold.active = False
        hold.released_at = now
        txn.decided_by_id = admin_id
        txn.decision_reason = reason[:200]
        if approve:
            txn.status = TransactionStatus.POSTED.value
            txn.posted_at = now
            write_entries(session, txn, source, destination, now, from_available=False)
        else:
            source.available_balance += txn.amount
            txn.status = (
                TransactionStatus.EXPIRED.value
                if admin_id is None
                else TransactionStatus.REJECTED.value
            )
        session.flush()
        if on_posted:
            on_posted(session, txn)
        result = posting_result(txn, [source, destination])
        session.commit()
        return result
    except BaseException:
        session.rollback()
        raise
