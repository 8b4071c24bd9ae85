"""Small helpers for the ledger, integrity and concurrency tests (one session per step).

Each helper opens its own session and closes it, as separate requests would, so a test
never reads a stale identity map. `bank` is the app (app tiers) or a plain `Database`
(tests/core): see tests/support/database.py.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING
from uuid import uuid4

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from banking.core import ledger
from banking.core.integrity import IntegrityReport, verify_ledger
from banking.core.models import Account, Entry, JournalTransaction
from tests.support.database import as_database

if TYPE_CHECKING:
    from tests.support.builders import Bank


def send(
    bank: Bank,
    source_id: int,
    destination_id: int,
    amount: int,
    *,
    initiator_id: int | None = None,
    key: str | None = None,
    **options,
) -> ledger.PostingResult:
    with as_database(bank).session() as session:
        return ledger.post_transfer(
            session,
            source_id=source_id,
            destination_id=destination_id,
            amount=amount,
            initiator_id=initiator_id,
            key=key or str(uuid4()),
            **options,
        )


def hold(bank: Bank, sender, destination_id: int, amount: int) -> ledger.PostingResult:
    """A transfer from `sender`'s checking account that the ledger holds for review."""
    result = send(
        bank,
        sender.account_id,
        destination_id,
        amount,
        owner_id=sender.id,
        limits=ledger.Limits(review_threshold=1),
    )
    assert result.status == "pending", result
    return result


def adjust(bank: Bank, account_id: int, amount: int, **options) -> ledger.PostingResult:
    options.setdefault("memo", "test adjustment")
    options.setdefault("initiator_id", None)
    options.setdefault("key", str(uuid4()))
    with as_database(bank).session() as session:
        return ledger.post_adjustment(session, account_id=account_id, amount=amount, **options)


def call(bank: Bank, function, *args, **kwargs):
    """Run a ledger function in a fresh session: `call(bank, ledger.approve_hold, txn_id, ...)`."""
    with as_database(bank).session() as session:
        return function(session, *args, **kwargs)


def execute(bank: Bank, sql: str, **params) -> None:
    """Raw SQL, committed: what an operator (or a bug) bypassing the ledger could do."""
    with as_database(bank).engine.begin() as conn:
        conn.execute(text(sql), params)


def state(bank: Bank, account_id: int) -> tuple[int, int]:
    """(balance, available) of one account."""
    with as_database(bank).session() as session:
        account = session.get(Account, account_id)
        return account.balance, account.available_balance


def entries_of(bank: Bank, transaction_id: int) -> list[tuple[int, int, int]]:
    """(account_id, amount, balance_after) of a transaction's entries, in id order."""
    with as_database(bank).session() as session:
        rows = session.execute(
            select(Entry.account_id, Entry.amount, Entry.balance_after)
            .where(Entry.transaction_id == transaction_id)
            .order_by(Entry.id)
        ).all()
        return [tuple(row) for row in rows]


def count_transactions(bank: Bank, **filters) -> int:
    """How many journal transactions match `filters` (e.g. kind="transfer")."""
    with as_database(bank).session() as session:
        query = select(func.count()).select_from(JournalTransaction).filter_by(**filters)
        return session.scalar(query)


def grand_total(bank: Bank) -> tuple[int, int]:
    """(sum of all entries, sum of all balances): both must be zero."""
    with as_database(bank).session() as session:
        entries = session.scalar(select(func.coalesce(func.sum(Entry.amount), 0)))
        balances = session.scalar(select(func.coalesce(func.sum(Account.balance), 0)))
        return entries, balances


def verify(bank: Bank, **options) -> IntegrityReport:
    with as_database(bank).session() as session:
        return verify_ledger(session, **options)


def system_account(bank: Bank, code: str, currency: str = "USD") -> int:
    """The id of the bank's own `code` account in `currency`."""
    return call(bank, ledger.system_account_id, code, currency)


@contextmanager
def scratch_session(bank: Bank):
    """A session inside a transaction that is always rolled back: corrupt freely, then look.

    PostgreSQL's DDL is transactional, so even dropping a CHECK or disabling the
    append-only trigger here leaves the shared test database untouched afterwards.
    """
    with as_database(bank).engine.connect() as conn:
        outer = conn.begin()
        session = Session(bind=conn, join_transaction_mode="create_savepoint")
        try:
            yield session, conn
        finally:
            session.close()
            outer.rollback()


def random_sent_history(bank: Bank, recipient, *, seed: int, transfers: int, start):
    """A new customer's random history of sent transfers, for the daily-limit properties:
    amounts under and over a review threshold, gaps from 30 seconds to 10 hours after
    `start`, every other held transfer rejected. The sender and the last transfer's
    minute (after `start`)."""
    import random
    from datetime import timedelta

    from banking.core.clock import FixedClock
    from tests.support.builders import make_customer

    rng = random.Random(seed)
    admin = make_customer(bank, "Ada Admin")
    sender = make_customer(bank, "Rich Alice", balance="10000.00")
    review = ledger.Limits(review_threshold=5_000)
    minute = 0.0
    held: list[int] = []
    for _ in range(transfers):
        minute += rng.choice((0.5, 7, 90, 600))
        result = send(
            bank,
            sender.account_id,
            recipient.account_id,
            rng.choice((100, 999, 6_000)),
            initiator_id=sender.id,
            limits=review,
            clock=FixedClock(start + timedelta(minutes=minute)),
        )
        if result.status == "pending":
            held.append(result.transaction_id)
    for txn_id in held[::2]:
        call(bank, ledger.reject_hold, txn_id, admin_id=admin.id, reason="no")
    return sender, minute
