"""The only code that moves money.

Every movement — customer transfer, admin adjustment, deposit, withdrawal, interest,
reversal, the capture of a held transfer — is a balanced journal transaction posted
by `_execute` in one database transaction: lock the accounts in ascending id order,
re-check status and funds under the lock, write the journal row and its entries,
update the denormalized balances, commit. Or change nothing.

No Flask here: callers pass a SQLAlchemy session and ids, and get results or
domain errors back. Deadlocks and serialization failures are retried with jitter.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from banking.core.errors import DomainError
from banking.core.models import (
    Account,
    AccountKind,
    AccountStatus,
    Entry,
    Hold,
    JournalTransaction,
    TransactionKind,
    TransactionStatus,
    User,
)
from banking.core.models.base import utcnow
from banking.core.money import MAX_AMOUNT_MINOR, SUPPORTED_CURRENCIES, InvalidAmount

log = logging.getLogger(__name__)
T = TypeVar("T")

EXTERNAL_CASH = "external_cash"  # money entering or leaving the bank (deposits, withdrawals)
INTEREST_EXPENSE = "interest_expense"
SUSPENSE = "suspense"  # corrections whose counterpart is still being investigated
SYSTEM_ACCOUNTS = {
    EXTERNAL_CASH: "External cash",
    INTEREST_EXPENSE: "Interest expense",
    SUSPENSE: "Suspense",
}
RETRYABLE_SQLSTATES = {"40P01", "40001"}  # deadlock detected, serialization failure

# The time `_execute` stamps on new journal rows. Only `frozen_clock` changes it, so the
# demo seeder can post history in the past through the normal path (entries are append-only
# and can't be backdated afterwards). Process-global: never use it in a web request.
clock: Callable[[], datetime] = utcnow


@contextmanager
def frozen_clock(moment: datetime) -> Iterator[None]:
    """Stamp every movement posted inside the block with `moment` (seeding and tests only)."""
    global clock
    saved = clock
    clock = lambda: moment  # noqa: E731
    try:
        yield
    finally:
        clock = saved


# Domain errors -----------------------------------------------------------------------
class LedgerError(DomainError):
    """A movement refused for a reason the person asking can understand."""

    code = "ledger_refused"
    message = "This movement cannot be made."


class AccountNotFound(LedgerError):
    message = "That account was not found."


class AccountFrozen(LedgerError):
    message = "That account is frozen and cannot send or receive money."


class AccountClosed(LedgerError):
    message = "That account is closed."


class SameAccount(LedgerError):
    message = "Choose two different accounts."


class InsufficientFunds(LedgerError):
    message = "There is not enough money available in that account."


class LimitExceeded(LedgerError):
    message = "That transfer is over your limit."


class CurrencyMismatch(LedgerError):
    message = "Both accounts must use the same currency."


class IdempotencyConflict(LedgerError):
    message = "This form was already submitted with different details. Start a new transfer."


class AlreadyReversed(LedgerError):
    message = "That transaction has already been reversed."


class NotReversible(LedgerError):
    message = "Only a posted transaction can be reversed."


class NotPending(LedgerError):
    message = "That transfer is no longer awaiting review."


class RetriesExhausted(LedgerError):
    message = "The bank is busy right now; nothing was moved. Please try again."


class CloseBlocker(enum.StrEnum):
    """Why an account cannot close yet (callers phrase it for their own readers)."""

    ALREADY_CLOSED = "already_closed"
    FROZEN = "frozen"  # only when the caller does not allow closing a frozen account
    BALANCE = "balance"  # balance or available balance not exactly zero
    PENDING_OUT = "pending_out"  # a transfer from it awaits review (money reserved)
    PENDING_IN = "pending_in"  # a transfer to it awaits review (money may still arrive)


class AccountNotClosable(LedgerError):
    message = "This account cannot be closed yet."

    def __init__(self, blockers: list[CloseBlocker]) -> None:
        super().__init__()
        self.blockers = tuple(blockers)


# Results and settings -----------------------------------------------------------------
@dataclass(frozen=True)
class Limits:
    """Customer limits in minor units; None means no limit of that kind."""

    per_transfer: int | None = None
    daily: int | None = None
    review_threshold: int | None = None
    hold_days: int = 7


@dataclass(frozen=True)
class PostingResult:
    transaction_id: int
    status: str
    amount: int
    replayed: bool = False
    balances: dict[int, int] = field(default_factory=dict)
    available: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Movement:
    kind: str
    source_id: int
    destination_id: int
    amount: int
    key: str
    initiator_id: int | None
    memo: str = ""
    owner_id: int | None = None  # when set, the source must belong to this user
    limits: Limits | None = None
    admin: bool = False  # admin corrections may touch frozen accounts, skip customer limits
    reverses_id: int | None = None

    @property
    def scoped_key(self) -> str:
        return f"{self.initiator_id if self.initiator_id is not None else 'system'}:{self.key}"

    @property
    def fingerprint(self) -> str:
        parts = (self.kind, self.source_id, self.destination_id, self.amount, self.reverses_id)
        text = "|".join(str(part) for part in parts)
        return hashlib.sha256(text.encode()).hexdigest()


Hook = Callable[[Session, JournalTransaction], None]


# Public API ---------------------------------------------------------------------------
def post_transfer(
    session: Session,
    *,
    source_id: int,
    destination_id: int,
    amount: int,
    initiator_id: int | None,
    key: str,
    memo: str = "",
    owner_id: int | None = None,
    limits: Limits | None = None,
    kind: str = TransactionKind.TRANSFER.value,
    on_posted: Hook | None = None,
    max_retries: int = 8,
) -> PostingResult:
    """Move `amount` from one account to another, or hold it for review above the threshold.

    `owner_id` scopes the source to one customer (anything else is AccountNotFound, so
    other customers' accounts cannot even be probed); `on_posted` runs inside the same
    database transaction (the audit row belongs to the movement it records).
    """
    movement = _Movement(
        kind=kind,
        source_id=source_id,
        destination_id=destination_id,
        amount=amount,
        key=key,
        initiator_id=initiator_id,
        memo=memo,
        owner_id=owner_id,
        limits=limits,
    )
    return _with_retries(session, lambda: _execute(session, movement, on_posted), max_retries)


def post_adjustment(
    session: Session,
    *,
    account_id: int,
    amount: int,
    initiator_id: int | None,
    key: str,
    memo: str,
    kind: str = TransactionKind.ADJUSTMENT.value,
    system_code: str = SUSPENSE,
    on_posted: Hook | None = None,
    max_retries: int = 8,
) -> PostingResult:
    """Credit (amount > 0) or debit (amount < 0) a customer account against a system account.

    Deposits and withdrawals use EXTERNAL_CASH, interest INTEREST_EXPENSE, corrections
    SUSPENSE: the bank's own books carry the other side, so the journal still sums to zero.
    """
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise InvalidAmount("The amount must be a whole number of cents.")
    if amount == 0:
        raise InvalidAmount("The amount must not be zero.")
    currency = session.scalar(select(Account.currency).where(Account.id == account_id))
    if currency is None:
        raise AccountNotFound()
    # The bank's side must be in the customer's currency, or the movement cannot balance.
    system_id = system_account_id(session, system_code, currency)
    source, destination = (system_id, account_id) if amount > 0 else (account_id, system_id)
    movement = _Movement(
        kind=kind,
        source_id=source,
        destination_id=destination,
        amount=abs(amount),
        key=key,
        initiator_id=initiator_id,
        memo=memo,
        admin=True,
    )
    return _with_retries(session, lambda: _execute(session, movement, on_posted), max_retries)


def reverse_transaction(
    session: Session,
    transaction_id: int,
    *,
    initiator_id: int | None,
    reason: str,
    on_posted: Hook | None = None,
    max_retries: int = 8,
) -> PostingResult:
    """Post the mirror image of a posted transaction; a transaction is reversed at most once."""
    try:
        original = session.get(JournalTransaction, transaction_id, populate_existing=True)
        if original is None:
            raise LedgerError("That transaction was not found.")
        if original.status != TransactionStatus.POSTED.value:
            raise NotReversible()
        if original.kind == TransactionKind.REVERSAL.value:
            raise NotReversible("A reversal cannot itself be reversed; post an adjustment.")
        if _reversal_of(session, transaction_id) is not None:
            raise AlreadyReversed()
        mirror = (original.destination_account_id, original.source_account_id, original.amount)
    finally:
        # Release the read (on SQLite, the write lock BEGIN IMMEDIATE took) before posting.
        session.rollback()
    movement = _Movement(
        kind=TransactionKind.REVERSAL.value,
        source_id=mirror[0],
        destination_id=mirror[1],
        amount=mirror[2],
        key=f"reversal-of-{transaction_id}",
        initiator_id=None,  # one reversal per transaction, whoever asks
        memo=f"Reversal of #{transaction_id}: {reason}"[:140],
        admin=True,
        reverses_id=transaction_id,
    )

    def attempt() -> PostingResult:
        try:
            return _execute(session, movement, on_posted, decided_by=initiator_id)
        except IntegrityError as exc:
            # Only the unique reverses_id means "someone else reversed it first".
            session.rollback()
            found = _reversal_of(session, transaction_id)
            session.rollback()
            if found is None:
                raise
            raise AlreadyReversed() from exc

    result = _with_retries(session, attempt, max_retries)
    if result.replayed:
        raise AlreadyReversed()
    return result


def _reversal_of(session: Session, transaction_id: int) -> int | None:
    return session.scalar(
        select(JournalTransaction.id).where(JournalTransaction.reverses_id == transaction_id)
    )


def approve_hold(
    session: Session,
    transaction_id: int,
    *,
    admin_id: int,
    reason: str,
    on_posted: Hook | None = None,
    max_retries: int = 8,
) -> PostingResult:
    """Capture a held transfer: the reserved money now leaves the source and arrives."""
    return _with_retries(
        session,
        lambda: _decide_hold(session, transaction_id, admin_id, reason, True, on_posted),
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
) -> PostingResult:
    """Release a held transfer: the reserved money is available to the customer again."""
    return _with_retries(
        session,
        lambda: _decide_hold(session, transaction_id, admin_id, reason, False, on_posted),
        max_retries,
    )


def expire_holds(
    session: Session, *, now: datetime | None = None, on_expired: Hook | None = None
) -> int:
    """Release every hold past its expiry; returns how many were released.

    `on_expired` runs inside each release's own database transaction, like `on_posted`
    elsewhere, so the audit row of an expiry commits with it or not at all.
    """
    now = now or utcnow()
    ids = session.scalars(
        select(Hold.transaction_id).where(Hold.active.is_(True), Hold.expires_at <= now)
    ).all()
    session.rollback()
    released = 0
    for transaction_id in ids:
        try:
            reject_hold(
                session, transaction_id, admin_id=None, reason="expired", on_posted=on_expired
            )
            released += 1
        except NotPending:
            continue
    return released


def ensure_system_accounts(session: Session, currency: str = "USD") -> dict[str, int]:
    """Create the bank's own accounts in every supported currency if missing (idempotent).

    Returns code -> id of the accounts in `currency`, the one most callers post in. Every
    currency gets its own set because a movement never crosses currencies: a EUR deposit
    is balanced by the EUR external-cash account.
    """
    from banking.core.account_numbers import new_account_number

    existing = {
        (code, account_currency): account_id
        for code, account_currency, account_id in session.execute(
            select(Account.system_code, Account.currency, Account.id).where(
                Account.system_code.is_not(None)
            )
        )
    }
    for each in dict.fromkeys((currency, *SUPPORTED_CURRENCIES)):
        for code, name in SYSTEM_ACCOUNTS.items():
            if (code, each) in existing:
                continue
            account = Account(
                number=new_account_number(session),
                kind=AccountKind.SYSTEM.value,
                system_code=code,
                currency=each,
                nickname=name,
            )
            session.add(account)
            session.flush()
            existing[(code, each)] = account.id
    session.commit()
    return {code: existing[(code, currency)] for code in SYSTEM_ACCOUNTS}


def system_account_id(session: Session, code: str, currency: str) -> int:
    """The bank's `code` account in `currency` (each currency has its own set)."""
    account_id = session.scalar(
        select(Account.id).where(Account.system_code == code, Account.currency == currency)
    )
    if account_id is None:
        raise AccountNotFound(
            f"System account {code!r} in {currency} is missing; run `flask db upgrade`."
        )
    return account_id


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


AccountHook = Callable[[Session, Account], None]


def close_account(
    session: Session,
    account_id: int,
    *,
    owner_id: int | None = None,
    allow_frozen: bool = False,
    reason: str | None = None,
    on_closed: AccountHook | None = None,
    max_retries: int = 8,
) -> Account:
    """Close an account only if it holds no money and nothing is waiting to move through it.

    The row is locked the way every posting locks it, and the checks run under that lock:
    a transfer either committed before (the balance is no longer zero: refused) or waits
    and then finds the account closed. Checking an unlocked read and then closing would
    let a transfer commit in between and leave a closed account holding money.
    `owner_id` scopes the account to one customer (anything else is AccountNotFound);
    `on_closed` runs in the same database transaction (the audit row). Commits.
    """

    def attempt() -> Account:
        try:
            account = _lock_accounts(session, [account_id]).get(account_id)
            if account is None or account.is_system:
                raise AccountNotFound()
            if owner_id is not None and account.owner_id != owner_id:
                raise AccountNotFound()
            blockers = close_blockers(session, account, allow_frozen=allow_frozen)
            if blockers:
                raise AccountNotClosable(blockers)
            account.status = AccountStatus.CLOSED.value
            account.closed_at = utcnow()
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

    return _with_retries(session, attempt, max_retries)


def spent_last_24h(session: Session, user_id: int, now: datetime | None = None) -> int:
    """What a customer sent out in the rolling last 24 hours (posted or still held)."""
    since = (now or utcnow()) - timedelta(hours=24)
    total = session.scalar(
        select(func.coalesce(func.sum(JournalTransaction.amount), 0)).where(
            JournalTransaction.initiator_id == user_id,
            JournalTransaction.kind == TransactionKind.TRANSFER.value,
            JournalTransaction.status.in_(
                [TransactionStatus.POSTED.value, TransactionStatus.PENDING.value]
            ),
            JournalTransaction.created_at >= since,
        )
    )
    return int(total or 0)


# The posting path -------------------------------------------------------------------
def _execute(
    session: Session,
    movement: _Movement,
    on_posted: Hook | None,
    decided_by: int | None = None,
) -> PostingResult:
    amount = movement.amount
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise InvalidAmount("The amount must be a whole number of cents.")
    if amount <= 0 or amount > MAX_AMOUNT_MINOR:
        raise InvalidAmount("The amount must be more than zero and within limits.")
    if movement.source_id == movement.destination_id:
        raise SameAccount()
    try:
        # Replays are answered before taking any lock. A same-key twin that commits while we
        # wait for the locks below is still found: by the refusal path (its movement may
        # have used up the funds) or by the unique key (IntegrityError -> replay).
        existing = _find_by_key(session, movement)
        if existing is not None:
            return _replay(session, existing, movement)
        if (
            movement.limits
            and movement.limits.daily is not None
            and movement.initiator_id is not None
            and not movement.admin
        ):
            # Serialize one customer's transfers so two racing ones can't both pass the limit.
            _lock_user(session, movement.initiator_id)
        accounts = _lock_accounts(session, [movement.source_id, movement.destination_id])
        source = accounts.get(movement.source_id)
        destination = accounts.get(movement.destination_id)
        try:
            _check_accounts(movement, source, destination)
            hold = _check_limits_and_funds(session, movement, source)
        except LedgerError:
            twin = _find_by_key(session, movement)
            if twin is not None:
                return _replay(session, twin, movement)
            raise
        now = clock()
        txn = JournalTransaction(
            kind=movement.kind,
            status=TransactionStatus.PENDING.value if hold else TransactionStatus.POSTED.value,
            memo=movement.memo[:140],
            idempotency_key=movement.scoped_key,
            fingerprint=movement.fingerprint,
            initiator_id=movement.initiator_id,
            source_account_id=source.id,
            destination_account_id=destination.id,
            amount=movement.amount,
            reverses_id=movement.reverses_id,
            created_at=now,
            posted_at=None if hold else now,
            decided_by_id=decided_by,
        )
        # One flush writes the row, its entries (or hold) and the balances: the fewer
        # round trips while the account locks are held, the more transfers per second.
        session.add(txn)
        if hold:
            source.available_balance -= movement.amount
            session.add(
                Hold(
                    transaction=txn,
                    account_id=source.id,
                    amount=movement.amount,
                    created_at=now,
                    expires_at=now + timedelta(days=movement.limits.hold_days),
                )
            )
        else:
            _write_entries(session, txn, source, destination, now, from_available=True)
        session.flush()
        if on_posted:
            on_posted(session, txn)
        result = _result(txn, [source, destination])
        session.commit()
        return result
    except IntegrityError:
        session.rollback()
        existing = _find_by_key(session, movement)
        if existing is None:
            raise
        result = _replay(session, existing, movement)
        session.rollback()
        return result
    except BaseException:
        session.rollback()
        raise


def _find_by_key(session: Session, movement: _Movement) -> JournalTransaction | None:
    return session.scalar(
        select(JournalTransaction).where(JournalTransaction.idempotency_key == movement.scoped_key)
    )


def _decide_hold(
    session: Session,
    transaction_id: int,
    admin_id: int | None,
    reason: str,
    approve: bool,
    on_posted: Hook | None,
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
        accounts = _lock_accounts(session, [txn.source_account_id, txn.destination_account_id])
        source = accounts[txn.source_account_id]
        destination = accounts[txn.destination_account_id]
        hold = session.scalar(
            select(Hold).where(Hold.transaction_id == txn.id, Hold.active.is_(True))
        )
        if hold is None:
            raise NotPending()
        if approve:
            _check_capturable(source, destination)
        now = utcnow()
        hold.active = False
        hold.released_at = now
        txn.decided_by_id = admin_id
        txn.decision_reason = reason[:200]
        if approve:
            txn.status = TransactionStatus.POSTED.value
            txn.posted_at = now
            _write_entries(session, txn, source, destination, now, from_available=False)
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
        result = _result(txn, [source, destination])
        session.commit()
        return result
    except BaseException:
        session.rollback()
        raise


def _check_capturable(source: Account, destination: Account) -> None:
    """Refuse to capture a hold unless both sides could still make this transfer today.

    A hold only reserves money; approving it is the moment the money moves, so the
    statuses that count are the ones under the lock now, not the ones at submission:
    an account frozen or closed while its transfer waited in the queue must neither
    send nor receive. Rejecting stays allowed (it only gives the reservation back).
    """
    for account, role in ((source, "sending"), (destination, "receiving")):
        if account.is_system or account.status == AccountStatus.ACTIVE.value:
            continue
        verb = "send" if role == "sending" else "receive"
        error = AccountClosed if account.status == AccountStatus.CLOSED.value else AccountFrozen
        raise error(
            f"The {role} account is {account.status} and can no longer {verb} money; "
            "reject the transfer instead."
        )


def _lock_user(session: Session, user_id: int) -> None:
    # NO KEY UPDATE: still serializes this user's transfers, but does not wait for (or
    # block) rows that merely reference the user, like another journal row's initiator FK.
    session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))


def _lock_accounts(session: Session, ids: list[int]) -> dict[int, Account]:
    """SELECT … FOR NO KEY UPDATE in ascending id order: every path locks the same way.

    NO KEY UPDATE is the lock an UPDATE of a non-key column takes anyway; unlike FOR UPDATE
    it does not conflict with the KEY SHARE locks that inserts referencing the account
    (journal rows, entries, holds, payees) take, so those don't queue behind a transfer.
    """
    rows = session.scalars(
        select(Account)
        .where(Account.id.in_(sorted(set(ids))))
        .order_by(Account.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).all()
    return {account.id: account for account in rows}


def _check_accounts(movement: _Movement, source: Account | None, destination: Account | None):
    if source is None or destination is None:
        raise AccountNotFound()
    if movement.owner_id is not None and source.owner_id != movement.owner_id:
        raise AccountNotFound()
    if not movement.admin and (source.is_system or destination.is_system):
        # The bank's own books are reached only through adjustments, never a customer transfer.
        raise AccountNotFound()
    if source.currency != destination.currency:
        raise CurrencyMismatch()
    for account, role, verb in ((source, "sending", "send"), (destination, "receiving", "receive")):
        if account.is_system:
            continue
        if account.status == AccountStatus.CLOSED.value:
            raise AccountClosed(f"The {role} account is closed.")
        if account.status == AccountStatus.FROZEN.value and not movement.admin:
            raise AccountFrozen(f"The {role} account is frozen and cannot {verb} money.")


def _check_limits_and_funds(session: Session, movement: _Movement, source: Account) -> bool:
    """Raise if the movement breaks a limit or overdraws; return True if it must be held."""
    limits = movement.limits
    if limits and not movement.admin:
        if limits.per_transfer is not None and movement.amount > limits.per_transfer:
            raise LimitExceeded("That amount is over your per-transfer limit.")
        if limits.daily is not None and movement.initiator_id is not None:
            spent = spent_last_24h(session, movement.initiator_id)
            if spent + movement.amount > limits.daily:
                raise LimitExceeded("That transfer would take you over your 24-hour limit.")
    if not source.is_system and (
        source.available_balance - movement.amount < -source.overdraft_limit
    ):
        raise InsufficientFunds()
    return bool(
        limits
        and not movement.admin
        and limits.review_threshold is not None
        and movement.amount > limits.review_threshold
    )


def _write_entries(
    session: Session,
    txn: JournalTransaction,
    source: Account,
    destination: Account,
    now: datetime,
    *,
    from_available: bool,
) -> None:
    source.balance -= txn.amount
    if from_available:
        source.available_balance -= txn.amount
    destination.balance += txn.amount
    destination.available_balance += txn.amount
    # A new transaction has no id before the flush: link through the relationship then.
    link = {"transaction_id": txn.id} if txn.id is not None else {"transaction": txn}
    session.add_all(
        [
            Entry(
                **link,
                account_id=source.id,
                amount=-txn.amount,
                balance_after=source.balance,
                created_at=now,
            ),
            Entry(
                **link,
                account_id=destination.id,
                amount=txn.amount,
                balance_after=destination.balance,
                created_at=now,
            ),
        ]
    )


def _replay(session: Session, existing: JournalTransaction, movement: _Movement) -> PostingResult:
    if existing.fingerprint != movement.fingerprint:
        raise IdempotencyConflict()
    accounts = [
        session.get(Account, existing.source_account_id),
        session.get(Account, existing.destination_account_id),
    ]
    result = _result(existing, [a for a in accounts if a is not None], replayed=True)
    session.rollback()
    return result


def _result(
    txn: JournalTransaction, accounts: list[Account], *, replayed: bool = False
) -> PostingResult:
    return PostingResult(
        transaction_id=txn.id,
        status=txn.status,
        amount=txn.amount,
        replayed=replayed,
        balances={a.id: a.balance for a in accounts},
        available={a.id: a.available_balance for a in accounts},
    )


def _is_retryable(exc: DBAPIError) -> bool:
    orig = getattr(exc, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate in RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(orig)


retry_counter = {"retries": 0}  # read by benchmarks and the reliability report


def _with_retries(session: Session, attempt: Callable[[], T], max_retries: int) -> T:
    for number in range(max_retries + 1):
        try:
            return attempt()
        except DBAPIError as exc:
            session.rollback()
            if isinstance(exc, IntegrityError) or not _is_retryable(exc):
                raise
            if number == max_retries:
                raise RetriesExhausted() from exc
            retry_counter["retries"] += 1
            log.warning("ledger retry", extra={"attempt": number + 1})
            time.sleep(random.uniform(0, 0.01 * (2**number)))  # noqa: S311 - jitter, not crypto
    raise RetriesExhausted()  # pragma: no cover
