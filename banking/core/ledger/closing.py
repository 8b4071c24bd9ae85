"""Closing an account: only when it holds no money and nothing waits to move through it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from banking.core.clock import SYSTEM_CLOCK, Clock
from banking.core.ledger.errors import AccountNotClosable, AccountNotFound, CloseBlocker
from banking.core.ledger.locking import lock_accounts
from banking.core.ledger.movements import AccountHook
from banking.core.ledger.retries import with_retries
from banking.core.models import Account, AccountStatus, Hold, JournalTransaction, TransactionStatus


def close_blockers(
    session: Session, account: Account, *, allow_frozen: bool = False
) -> list[CloseBlocker]:
    """Everything that keeps `account` from closing; empty when it can close.

    Read as is: to *decide*, call it on a row locked by `close_account`. Admin pages also
    call it unlocked to show why the Close button is missing.
    """
    blockers = []
    if account.status == AccountStatus.CLOSED.value:
        blockers.append(CloseBlocker.ALREADY_CLOSED)
    if account.status == AccountStatus.FROZEN.value and not allow_frozen:
        blockers.append(CloseBlocker.FROZEN)
    if account.balance != 0 or account.available_balance != 0:
        blockers.append(CloseBlocker.BALANCE)
    pending = JournalTransaction.status == TransactionStatus.PENDING.value
    held_out = session.scalar(
        select(Hold.id).where(Hold.account_id == account.id, Hold.active.is_(True)).limit(1)
    )
    pending_out = session.scalar(
        select(JournalTransaction.id)
        .where(pending, JournalTransaction.source_account_id == account.id)
        .limit(1)
    )
    if held_out is not None or pending_out is not None:
        blockers.append(CloseBlocker.PENDING_OUT)
    pending_in = session.scalar(
        select(JournalTransaction.id)
        .where(pending, JournalTransaction.destination_account_id == account.id)
        .limit(1)
    )
    if pending_in is not None:
        blockers.append(CloseBlocker.PENDING_IN)
    return blockers


def close_account(
    session: Session,
    account_id: int,
    *,
    owner_id: int | None = None,
    allow_frozen: bool = False,
    reason: str | None = None,
    on_closed: AccountHook | None = None,
    max_retries: int = 8,
    clock: Clock = SYSTEM_CLOCK,
) -> Account:
    """Close an account only if it holds no money and nothing is waiting to move through it.

    The row is locked the way every posting locks it, and the checks run under that lock:
    a transfer either committed before (the balance is no longer zero: refused) or waits
    and then finds the account closed. Checking an unlocked read and then closing would
    let a transfer commit in between and leave a closed account holding money.
    `owner_id` scopes the account to one customer (anything else is AccountNotFound);
    `on_closed` runs in the same database transaction (the audit row). Commits, like the
    postings, so the retry loop can restart the whole transaction.
    """

    def attempt() -> Account:
        try:
            account = lock_accounts(session, [account_id]).get(account_id)
            if account is None or account.is_system:
                raise AccountNotFound()
            if owner_id is not None and account.owner_id != owner_id:
                raise AccountNotFound()
            blockers = close_blockers(session, account, allow_frozen=allow_frozen)
            if blockers:
                raise AccountNotClosable(blockers)
            account.status = AccountStatus.CLOSED.value
            account.closed_at = clock.now()
            if reason is not None:
                account.status_reason = reason[:200]
            session.flush()
            if on_closed:
                on_closed(session, account)
            session.commit()
            return account
        except BaseException:
            session.rollback()
            raise

    return with_retries(session, attempt, max_retries)
