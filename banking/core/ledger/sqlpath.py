"""The mechanics of a posting on PostgreSQL in two statements: one that locks, one that writes.

The ORM path (posting.py, kept for SQLite and for holds) sends ~10 statements per transfer
and spends most of its CPU in the unit of work. Here the same steps go as plain SQL:

1. the locks. For a customer's transfer, one call of the PL/pgSQL function in
   `lock_function.py`: the initiator's user row FOR NO KEY UPDATE (it serializes that
   customer's transfers, so two racing ones cannot both pass the limit, and each writes
   the next running total, `ledger.sent`), then their running total, the time of their
   latest transfer and their spend since the window's start (read *after* the user lock
   is granted, each statement with its own snapshot), the journal id the row will take
   (nextval, so an audit row can name it before it exists), and both account rows,
   ascending id, FOR NO KEY UPDATE. A movement without a running total (an adjustment)
   locks the two account rows with one plain statement;
2. one data-modifying CTE that writes the journal row with the next running total
   (`ON CONFLICT (idempotency_key) DO NOTHING`: a replayed key writes nothing, and
   nothing else happens because every other part reads the journal row's RETURNING),
   both entries with balance_after, both balance UPDATEs and the hook's rows (audit
   rows, the recipient's notification).

What is allowed stays decided in Python by `rules.check_movement`, between 1 and 2, on
the locked rows (`LockedAccount`): only the mechanics moved into SQL. The statements are
SQL strings compiled once and handed to the driver's cursor on the session's connection
(same transaction): building Core constructs, or even SQLAlchemy's result objects, per
transfer costs more CPU than PostgreSQL spends running them. They are still announced to
the engine's cursor events (statement counts, metrics), and driver errors are raised as
SQLAlchemy's (`IntegrityError`, `OperationalError` …), so the retry loop and the replay
handling see what they always saw.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, bindparam, func, literal_column, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from banking.core import notifications
from banking.core.ledger import driver, lock_function
from banking.core.ledger.movements import Movement
from banking.core.ledger.sent import Sent
from banking.core.models import Account, AccountKind, AuditEvent, Notification, TransactionStatus

DAY = timedelta(hours=24)


@dataclass(slots=True)
class LockedAccount:
    """An account row as the lock statement returned it: what the rule book reads."""

    id: int
    owner_id: int | None
    kind: str
    currency: str
    balance: int
    available_balance: int
    overdraft_limit: int
    status: str

    @property
    def is_system(self) -> bool:
        return self.kind == AccountKind.SYSTEM.value


@dataclass(frozen=True, slots=True)
class Locked:
    source: LockedAccount | None
    destination: LockedAccount | None
    spent_since: int | None  # the customer's spend since the `since` asked for
    next_id: int  # the id the journal row will take
    sent: Sent | None = None  # the initiator's running total, when the movement counts


def enabled(session: Session) -> bool:
    """This path is PostgreSQL's; SQLite (development, fast tests) keeps the ORM path."""
    return session.get_bind().dialect.name == "postgresql"


@cache
def _accounts_sql() -> tuple[str, dict[str, Any]]:
    """The lock statement of a movement without a running total (an adjustment, the
    bank's own books): both rows and the journal id; its SQL and constant parameters."""
    # Built with Core, compiled once per process. The NULL columns stand where a
    # customer's transfer gets its figures (lock_function.py), so one reader fits both.
    nothing = literal_column("NULL")
    # The serial column's own sequence, by its conventional name (as a literal, resolved
    # once when the statement is prepared; the search_path picks the schema).
    next_id = select(
        func.nextval(literal_column("'journal_transactions_id_seq'::regclass"))
    ).scalar_subquery()
    statement = (
        select(
            Account.id,
            Account.owner_id,
            Account.kind,
            Account.currency,
            Account.balance,
            Account.available_balance,
            Account.overdraft_limit,
            Account.status,
            nothing.label("spent"),
            next_id.label("next_id"),
            nothing.label("sent_total"),
            nothing.label("sent_at"),
        )
        .where(Account.id.in_([bindparam("a", 0, BigInteger()), bindparam("b", 0, BigInteger())]))
        .order_by(Account.id)
        .with_for_update(key_share=True)
    )
    compiled = statement.compile(
        dialect=postgresql.psycopg.dialect(), compile_kwargs={"render_postcompile": True}
    )
    return str(compiled), {k: v for k, v in compiled.params.items() if k not in {"a", "b"}}


def lock(
    session: Session,
    movement: Movement,
    *,
    user_lock: bool,
    since: datetime | None,
) -> Locked:
    """Statement 1: the locks in the fixed order, the locked rows, the initiator's
    running total and (with `since`) their spend since then.

    `user_lock` is asked for every movement that carries a running total: the totals of
    one customer must be written one posting at a time.
    """
    a, b = movement.source_id, movement.destination_id
    if user_lock:
        # Both locks and the totals in one call (lock_function.py), sent with the BEGIN
        # when it opens the transaction (driver.open_with): one round trip.
        user_id = movement.initiator_id
        assert user_id is not None  # a movement with a running total has its customer
        rows = driver.open_with(
            session,
            lock_function.call_literal(user_id, a, b, since),
            lock_function.CALL_SQL,
            {"user_id": user_id, "a": a, "b": b, "since": since},
        )
    else:
        sql, constants = _accounts_sql()
        rows = driver.run(session, sql, {**constants, "a": a, "b": b})
    accounts = {row[0]: LockedAccount(*row[:8]) for row in rows}
    first = rows[0] if rows else None
    spent = int(first[8] or 0) if first is not None and since is not None else None
    return Locked(
        source=accounts.get(movement.source_id),
        destination=accounts.get(movement.destination_id),
        spent_since=spent,
        next_id=first[9] if first is not None else 0,
        sent=Sent(int(first[10] or 0), first[11], spent) if first and user_lock else None,
    )


_JOURNAL_COLUMNS = (
    "id, kind, status, memo, idempotency_key, fingerprint, initiator_id, source_account_id, "
    "destination_account_id, amount, reverses_id, created_at, posted_at, decided_by_id, "
    "sent_total"
)
_WRITE_SQL = """
WITH j AS (
    INSERT INTO journal_transactions ({journal})
    VALUES (%(id)s, %(kind)s, %(status)s, %(memo)s, %(key)s, %(fingerprint)s, %(initiator)s,
            %(src)s, %(dst)s, %(amount)s, %(reverses)s, %(now)s, %(now)s, %(decided_by)s,
            %(sent_total)s)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id
), e AS (
    INSERT INTO entries (transaction_id, account_id, amount, balance_after, created_at)
    SELECT j.id, v.account_id, v.amount, v.balance_after, %(now)s
    FROM j, (VALUES (CAST(%(src)s AS bigint), -CAST(%(amount)s AS bigint),
                     CAST(%(src_after)s AS bigint)),
                    (%(dst)s, %(amount)s, %(dst_after)s)) AS v(account_id, amount, balance_after)
), b AS (
    UPDATE accounts
    SET balance = balance + CASE WHEN id = %(src)s THEN -%(amount)s ELSE %(amount)s END,
        available_balance = available_balance
            + CASE WHEN id = %(src)s THEN -%(amount)s ELSE %(amount)s END
    WHERE id IN (%(src)s, %(dst)s) AND EXISTS (SELECT FROM j)
){audits}
SELECT id{returned} FROM j
"""
_ROW_SQL = """, a{n} AS (
    INSERT INTO {table} ({columns})
    SELECT {values} FROM j{returning}
)"""


def _columns(model: type) -> list[Any]:
    return [c for c in model.__table__.columns if c.key != "id"]


@cache
def _write_sql(models: tuple[type, ...]) -> str:
    """The write statement for the hook's rows, one CTE each (audit rows, notifications).

    A notification's id is returned (the final SELECT's later columns): the email queued
    after the commit names it.
    """
    parts = []
    returned = []
    for n, model in enumerate(models):
        columns = _columns(model)
        notified = model is Notification
        if notified:
            # Our own CTE names (a0, a1 …), never input.
            returned.append(f", (SELECT id FROM a{n})")  # noqa: S608  # nosec B608
        parts.append(
            _ROW_SQL.format(
                n=n,
                table=model.__table__.name,
                columns=", ".join(c.name for c in columns),
                values=", ".join(
                    f"CAST(%(a{n}_{c.name})s AS json)"
                    if c.name == "details"
                    else f"%(a{n}_{c.name})s"
                    for c in columns
                ),
                returning="\n    RETURNING id" if notified else "",
            )
        )
    return _WRITE_SQL.format(
        journal=_JOURNAL_COLUMNS, audits="".join(parts), returned="".join(returned)
    )


def _row_params(rows: Sequence[Any]) -> dict[str, Any]:
    """The rows' column values, defaults applied as a flush would apply them."""
    params: dict[str, Any] = {}
    for n, row in enumerate(rows):
        for column in _columns(type(row)):
            value = getattr(row, column.key)
            if value is None and column.default is not None:
                default = column.default
                value = default.arg(None) if default.is_callable else default.arg  # type: ignore[attr-defined]
            if column.name == "details":
                value = json.dumps(value if value is not None else {})
            params[f"a{n}_{column.name}"] = value
    return params


def write(
    session: Session,
    movement: Movement,
    locked: Locked,
    now: datetime,
    *,
    rows: Sequence[AuditEvent | Notification] = (),
    decided_by: int | None = None,
) -> int | None:
    """Statement 2: the whole posting; the journal id, or None if the key was already used.

    `rows` (the hook's audit rows and notifications) are inserted by the same statement;
    each notification gets its id, and is noted in `session.info[notifications.WRITTEN]`
    for what follows the commit (the unread count, the email).
    """
    source, destination = locked.source, locked.destination
    assert source is not None and destination is not None  # refused by the rule book
    amount = movement.amount
    params = {
        "id": locked.next_id,
        "kind": movement.kind,
        "status": TransactionStatus.POSTED.value,
        "memo": movement.memo[:140],
        "key": movement.scoped_key,
        "fingerprint": movement.fingerprint,
        "initiator": movement.initiator_id,
        "src": source.id,
        "dst": destination.id,
        "amount": amount,
        "reverses": movement.reverses_id,
        "now": now,
        "decided_by": decided_by,
        "sent_total": locked.sent.next_total(amount) if locked.sent is not None else None,
        "src_after": source.balance - amount,
        "dst_after": destination.balance + amount,
        **_row_params(rows),
    }
    written = driver.run(session, _write_sql(tuple(type(row) for row in rows)), params)
    if not written:
        return None
    row = written[0]
    notified = [r for r in rows if isinstance(r, Notification)]
    for notification, notification_id in zip(notified, row[1:], strict=True):
        notification.id = notification_id
        session.info.setdefault(notifications.WRITTEN, []).append(
            (notification_id, notification.user_id, notification.kind)
        )
    source.balance -= amount
    source.available_balance -= amount
    destination.balance += amount
    destination.available_balance += amount
    return row[0]


def run(session: Session, sql: str, params: dict[str, Any]) -> list[tuple]:
    """`driver.run` for a caller outside the ledger (a service's one-row lookup before
    posting): plain SQL on the session's connection, in its transaction, announced to
    the engine."""
    return driver.run(session, sql, params)


def open_with(session: Session, literal_sql: str, sql: str, params: dict[str, Any]) -> list[tuple]:
    """`driver.open_with` for a caller outside the ledger whose lookup opens the
    transaction a posting then continues: `BEGIN` goes in the same message."""
    return driver.open_with(session, literal_sql, sql, params)
