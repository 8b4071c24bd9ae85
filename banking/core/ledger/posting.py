"""Posting a movement: the one path by which money moves between two accounts.

`_execute` runs one database transaction: answer a replayed idempotency key, lock the
accounts in ascending id order, ask the rule book under the lock, write the journal row
and its entries (or a hold), update the denormalized balances, run the caller's hook,
commit. Or change nothing: every failure rolls back.

Transaction ownership: the public functions here commit (and roll back) themselves,
because `retries.with_retries` must be able to restart the *whole* transaction after a
deadlock. So call them with no unflushed work of your own in the session: anything that
must commit together with the movement belongs in the `on_posted` hook, which runs inside
the same transaction (that is how the audit row commits with the movement it records).

What became of each request (posted, held, refused and why) is announced once, after
its retries, by `outcomes.observed`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from banking.core.clock import SYSTEM_CLOCK, Clock
from banking.core.ledger import rules, sent, sqlpath
from banking.core.ledger.errors import AccountNotFound, IdempotencyConflict
from banking.core.ledger.locking import lock_accounts, lock_user
from banking.core.ledger.movements import (
    TOUCHED_OWNERS,
    Hook,
    Limits,
    Movement,
    PostingResult,
)
from banking.core.ledger.outcomes import observed
from banking.core.ledger.retries import with_retries
from banking.core.ledger.system_accounts import SUSPENSE, system_account_id
from banking.core.models import (
    Account,
    Entry,
    Hold,
    JournalTransaction,
    TransactionKind,
    TransactionStatus,
)
from banking.core.money import InvalidAmount


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
    clock: Clock = SYSTEM_CLOCK,
) -> PostingResult:
    """Move `amount` from one account to another, or hold it for review above the threshold.

    `owner_id` scopes the source to one customer (anything else is AccountNotFound, so
    other customers' accounts cannot even be probed); `on_posted` runs inside the same
    database transaction (the audit row belongs to the movement it records); `clock`
    stamps the rows, read under the locks. Commits (see the module docstring).
    """
    movement = Movement(
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
    return observed(
        kind,
        lambda: with_retries(
            session, lambda: _execute(session, movement, on_posted, clock), max_retries
        ),
    )


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
    clock: Clock = SYSTEM_CLOCK,
) -> PostingResult:
    """Credit (amount > 0) or debit (amount < 0) a customer account against a system account.

    Deposits and withdrawals use EXTERNAL_CASH, interest INTEREST_EXPENSE, corrections
    SUSPENSE: the bank's own books carry the other side, so the journal still sums to zero.
    Commits (see the module docstring).
    """

    def post() -> PostingResult:
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
        movement = Movement(
            kind=kind,
            source_id=source,
            destination_id=destination,
            amount=abs(amount),
            key=key,
            initiator_id=initiator_id,
            memo=memo,
            admin=True,
        )
        return with_retries(
            session, lambda: _execute(session, movement, on_posted, clock), max_retries
        )

    return observed(kind, post)


def _execute(
    session: Session,
    movement: Movement,
    on_posted: Hook | None,
    clock: Clock,
    decided_by: int | None = None,
) -> PostingResult:
    """One attempt, one database transaction: commit on success, roll back on any failure."""
    rules.check_amount(movement.amount)
    fast = sqlpath.enabled(session)
    try:
        if not fast:
            # Replays are answered before taking any lock. A same-key twin that commits
            # while we wait for the locks below is still found: by the refusal path (its
            # movement may have used up the funds) or by the unique key (IntegrityError).
            # The PostgreSQL path skips this SELECT: its INSERT … ON CONFLICT DO NOTHING
            # finds the replay with the unique key itself.
            existing = _find_by_key(session, movement)
            if existing is not None:
                return _replay(session, existing, movement)
        daily_limited = (
            movement.limits is not None
            and movement.limits.daily is not None
            and movement.initiator_id is not None
            and not movement.admin
        )
        # A customer's transfer carries their running total (`sent`), written under their
        # user lock: taken for every such transfer, not only when a daily limit applies.
        counted = sent.counts(movement.kind, movement.initiator_id)
        initiator = movement.initiator_id
        # `since` is read before the locks, so the spend may count a few milliseconds more
        # than the last 24 hours (never less): enough to allow. Only when it would refuse
        # is the exact figure (24 h before `now`) asked.
        since = clock.now() - rules.DAILY_WINDOW if daily_limited else None
        totals: sent.Sent | None
        if fast:
            locked = sqlpath.lock(session, movement, user_lock=counted, since=since)
            source, destination = locked.source, locked.destination
            totals = locked.sent
        else:
            if counted:
                lock_user(session, initiator)
            accounts = lock_accounts(session, [movement.source_id, movement.destination_id])
            source = accounts.get(movement.source_id)
            destination = accounts.get(movement.destination_id)
            totals = sent.read(session, initiator, since) if counted else None
        now = totals.stamp(clock.now()) if totals is not None else clock.now()
        bounded = totals.spent if totals is not None and totals.spent is not None else 0
        daily = movement.limits.daily if movement.limits else None

        def spent() -> int:
            if daily is not None and bounded + movement.amount <= daily:
                return bounded
            return rules.spent_last_24h(session, initiator, now)

        decision = rules.check_movement(
            source,
            destination,
            movement.amount,
            owner_id=movement.owner_id,
            limits=movement.limits,
            admin=movement.admin,
            spent_24h=spent if daily_limited else None,
        )
        if decision.refusal is not None:
            twin = _find_by_key(session, movement)
            if twin is not None:
                return _replay(session, twin, movement)
            raise decision.refusal
        hold = decision.held
        if fast and not hold:
            return _write_fast(session, movement, locked, now, on_posted, decided_by)
        if fast:
            # A hold is rare (above the review threshold): it takes the ORM path below,
            # with the rows this transaction has already locked.
            source = session.get(Account, movement.source_id, populate_existing=True)
            destination = session.get(Account, movement.destination_id, populate_existing=True)
        txn = _journal_row(movement, now, held=hold, decided_by=decided_by)
        if totals is not None:
            txn.sent_total = totals.next_total(movement.amount)
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
            write_entries(session, txn, source, destination, now, from_available=True)
        session.flush()
        if on_posted:
            on_posted(session, txn)
        result = posting_result(txn, [source, destination])
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


def _journal_row(
    movement: Movement,
    now: datetime,
    *,
    held: bool,
    decided_by: int | None,
    id: int | None = None,
) -> JournalTransaction:
    """The journal row a movement writes: pending while held for review, else posted now."""
    txn = JournalTransaction(
        kind=movement.kind,
        status=TransactionStatus.PENDING.value if held else TransactionStatus.POSTED.value,
        memo=movement.memo[:140],
        idempotency_key=movement.scoped_key,
        fingerprint=movement.fingerprint,
        initiator_id=movement.initiator_id,
        source_account_id=movement.source_id,
        destination_account_id=movement.destination_id,
        amount=movement.amount,
        reverses_id=movement.reverses_id,
        created_at=now,
        posted_at=None if held else now,
        decided_by_id=decided_by,
    )
    if id is not None:  # left unset otherwise: the INSERT takes it from the sequence
        txn.id = id
    return txn


def _write_fast(
    session: Session,
    movement: Movement,
    locked: sqlpath.Locked,
    now: datetime,
    on_posted: Hook | None,
    decided_by: int | None,
) -> PostingResult:
    """The PostgreSQL write: one statement, then the hook (if it cannot hand over rows)."""
    source, destination = locked.source, locked.destination
    txn = None
    if on_posted is not None:  # the hook reads the transaction: a transient copy of the row
        txn = _journal_row(movement, now, held=False, decided_by=decided_by, id=locked.next_id)
        if locked.sent is not None:
            txn.sent_total = locked.sent.next_total(movement.amount)
    rows = getattr(on_posted, "rows", None)
    hook_rows = rows(txn) if rows is not None else ()
    written = sqlpath.write(session, movement, locked, now, rows=hook_rows, decided_by=decided_by)
    if written is None:  # the key was used by a twin that committed first: a replay
        session.rollback()
        existing = _find_by_key(session, movement)
        if existing is None:  # pragma: no cover - the unique key said it exists
            raise IdempotencyConflict()
        return _replay(session, existing, movement)
    if txn is not None and rows is None:
        on_posted(session, txn)  # a hook with work of its own: flushed by the commit
    result = PostingResult(
        transaction_id=written,
        status=TransactionStatus.POSTED.value,
        amount=movement.amount,
        balances={source.id: source.balance, destination.id: destination.balance},
        available={
            source.id: source.available_balance,
            destination.id: destination.available_balance,
        },
    )
    # No Account object was flushed, so announce whose balances changed (a cache of their
    # dashboards is dropped after the commit; see `movements.TOUCHED_OWNERS`).
    touched = session.info.setdefault(TOUCHED_OWNERS, set())
    touched.update(o for o in (source.owner_id, destination.owner_id) if o is not None)
    session.commit()
    return result


def _find_by_key(session: Session, movement: Movement) -> JournalTransaction | None:
    return session.scalar(
        select(JournalTransaction).where(JournalTransaction.idempotency_key == movement.scoped_key)
    )


def write_entries(
    session: Session,
    txn: JournalTransaction,
    source: Account,
    destination: Account,
    now: datetime,
    *,
    from_available: bool,
) -> None:
    """The two balanced entries of `txn` and the balances they change (rows locked)."""
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


def _replay(session: Session, existing: JournalTransaction, movement: Movement) -> PostingResult:
    if existing.fingerprint != movement.fingerprint:
        raise IdempotencyConflict()
    accounts = [
        session.get(Account, existing.source_account_id),
        session.get(Account, existing.destination_account_id),
    ]
    result = posting_result(existing, [a for a in accounts if a is not None], replayed=True)
    session.rollback()
    return result


def posting_result(
    txn: JournalTransaction, accounts: list[Account], *, replayed: bool = False
) -> PostingResult:
    """What a caller learns about a posting: its outcome and the balances it left."""
    return PostingResult(
        transaction_id=txn.id,
        status=txn.status,
        amount=txn.amount,
        replayed=replayed,
        balances={a.id: a.balance for a in accounts},
        available={a.id: a.available_balance for a in accounts},
    )
