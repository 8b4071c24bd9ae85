"""Small helpers for the ledger, integrity and concurrency tests (one app context per step).

Each helper opens its own app context and removes its session, as separate requests
would, so a test never reads a stale identity map.
"""

from __future__ import annotations

from contextlib import contextmanager
from uuid import uuid4

from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from banking.core import ledger
from banking.core.account_numbers import new_account_number
from banking.core.integrity import IntegrityReport, verify_ledger
from banking.core.models import Account, Entry, JournalTransaction
from banking.extensions import db


def send(
    app: Flask,
    source_id: int,
    destination_id: int,
    amount: int,
    *,
    initiator_id: int | None = None,
    key: str | None = None,
    **options,
) -> ledger.PostingResult:
    with app.app_context():
        try:
            return ledger.post_transfer(
                db.session,
                source_id=source_id,
                destination_id=destination_id,
                amount=amount,
                initiator_id=initiator_id,
                key=key or str(uuid4()),
                **options,
            )
        finally:
            db.session.remove()


def hold(app: Flask, sender, destination_id: int, amount: int) -> ledger.PostingResult:
    """A transfer from `sender`'s checking account that the ledger holds for review."""
    result = send(
        app,
        sender.account_id,
        destination_id,
        amount,
        owner_id=sender.id,
        limits=ledger.Limits(review_threshold=1),
    )
    assert result.status == "pending", result
    return result


def adjust(app: Flask, account_id: int, amount: int, **options) -> ledger.PostingResult:
    options.setdefault("memo", "test adjustment")
    options.setdefault("initiator_id", None)
    options.setdefault("key", str(uuid4()))
    with app.app_context():
        try:
            return ledger.post_adjustment(
                db.session, account_id=account_id, amount=amount, **options
            )
        finally:
            db.session.remove()


def call(app: Flask, function, *args, **kwargs):
    """Run a ledger function with a fresh session: `call(app, ledger.approve_hold, txn_id, ...)`."""
    with app.app_context():
        try:
            return function(db.session, *args, **kwargs)
        finally:
            db.session.remove()


def open_account(
    app: Flask,
    owner_id: int | None,
    *,
    currency: str = "USD",
    overdraft: int = 0,
    status: str = "active",
    kind: str = "checking",
) -> int:
    with app.app_context():
        account = Account(
            number=new_account_number(db.session),
            owner_id=owner_id,
            kind=kind,
            currency=currency,
            overdraft_limit=overdraft,
            status=status,
        )
        db.session.add(account)
        db.session.commit()
        account_id = account.id
        db.session.remove()
        return account_id


def set_status(app: Flask, account_id: int, status: str) -> None:
    execute(
        app, "UPDATE accounts SET status = :status WHERE id = :id", status=status, id=account_id
    )


def execute(app: Flask, sql: str, **params) -> None:
    """Raw SQL, committed: what an operator (or a bug) bypassing the ledger could do."""
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text(sql), params)


def state(app: Flask, account_id: int) -> tuple[int, int]:
    """(balance, available) of one account."""
    with app.app_context():
        account = db.session.get(Account, account_id)
        values = (account.balance, account.available_balance)
        db.session.remove()
        return values


def entries_of(app: Flask, transaction_id: int) -> list[tuple[int, int, int]]:
    """(account_id, amount, balance_after) of a transaction's entries, in id order."""
    with app.app_context():
        rows = db.session.execute(
            select(Entry.account_id, Entry.amount, Entry.balance_after)
            .where(Entry.transaction_id == transaction_id)
            .order_by(Entry.id)
        ).all()
        db.session.remove()
        return [tuple(row) for row in rows]


def count_transactions(app: Flask, **filters) -> int:
    with app.app_context():
        query = select(func.count()).select_from(JournalTransaction).filter_by(**filters)
        value = db.session.scalar(query)
        db.session.remove()
        return value


def grand_total(app: Flask) -> tuple[int, int]:
    """(sum of all entries, sum of all balances): both must be zero."""
    with app.app_context():
        entries = db.session.scalar(select(func.coalesce(func.sum(Entry.amount), 0)))
        balances = db.session.scalar(select(func.coalesce(func.sum(Account.balance), 0)))
        db.session.remove()
        return entries, balances


def verify(app: Flask, **options) -> IntegrityReport:
    with app.app_context():
        try:
            return verify_ledger(db.session, **options)
        finally:
            db.session.remove()


@contextmanager
def scratch_session(app: Flask):
    """A session inside a transaction that is always rolled back: corrupt freely, then look.

    PostgreSQL's DDL is transactional, so even dropping a CHECK or disabling the
    append-only trigger here leaves the shared test database untouched afterwards.
    """
    with app.app_context(), db.engine.connect() as conn:
        outer = conn.begin()
        session = Session(bind=conn, join_transaction_mode="create_savepoint")
        try:
            yield session, conn
        finally:
            session.close()
            outer.rollback()
