"""The customer-transfer lock function (`ledger/lock_function.py`, PostgreSQL only).

It replaces two statements (the user lock, then the accounts with the running totals) by
one call, and computes the spend since the window's start procedurally. So two things
must hold: its figures are `sent`'s figures, wherever the window starts, and the totals
it returns are read *after* the user lock is granted (a transfer that commits while we
wait is counted).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from sqlalchemy import text

from banking.core import ledger
from banking.core.ledger import lock_function, sent, sqlpath
from tests.support.ledger import random_sent_history, send

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def locked(database, user, other, since: datetime | None) -> tuple:
    """One call of the function, as the posting path makes it; rolled back."""
    with database.session() as session:
        rows = sqlpath.run(
            session,
            lock_function.CALL_SQL,
            {"user_id": user.id, "a": user.account_id, "b": other.account_id, "since": since},
        )
        session.rollback()
    assert [row[0] for row in rows] == sorted((user.account_id, other.account_id))
    first = rows[0]
    return first[8], first[10], first[11]  # spent, sent_total, sent_at


def expected(database, user, since: datetime | None) -> tuple:
    with database.session() as session:
        state = sent.read(session, user.id, since)
    return state.spent, state.total, state.last_at


def test_the_kind_and_statuses_in_its_text_are_the_ones_sent_counts():
    assert f"j.kind = '{sent.TRANSFER}'" in lock_function.CREATE_SQL
    released = ", ".join(f"'{status}'" for status in sent.RELEASED)
    assert f"j.status IN ({released})" in lock_function.CREATE_SQL


def test_a_customer_with_no_transfer_has_sent_nothing(database, requires_postgres, alice, bob):
    since = T0 - timedelta(hours=24)
    assert locked(database, alice, bob, since) == (0, 0, None)
    assert locked(database, alice, bob, None) == (None, 0, None)


def test_its_figures_are_sents_at_every_window_boundary(database, requires_postgres, bob):
    """Property: for a random mix of amounts, gaps, held and released transfers, the
    function's spend, total and latest stamp equal `sent.read`'s, wherever the window
    starts (before the first transfer, between any two, after the last)."""
    alice, minute = random_sent_history(database, bob, seed=20261203, transfers=30, start=T0)
    for step in range(-60, int(minute) + 120, 41):
        since = T0 + timedelta(minutes=step)
        assert locked(database, alice, bob, since) == expected(database, alice, since), step
    assert locked(database, alice, bob, None) == expected(database, alice, None)


def test_the_totals_are_read_after_the_user_lock_is_granted(
    database, requires_postgres, alice, bob
):
    """A transfer of the same customer that commits while the call waits for the user
    lock is in the figures the call returns: read with a snapshot taken after the wait."""
    since = datetime.now(UTC) - ledger.rules.DAILY_WINDOW
    send(database, alice.account_id, bob.account_id, 300, initiator_id=alice.id)
    written, release = threading.Event(), threading.Event()

    def pause(session, txn) -> None:  # runs inside the posting's transaction, locks held
        written.set()
        assert release.wait(10)

    posting = threading.Thread(
        target=send,
        args=(database, alice.account_id, bob.account_id, 200),
        kwargs={"initiator_id": alice.id, "on_posted": pause},
    )
    posting.start()
    assert written.wait(10)
    seen: list[tuple] = []
    waiter = threading.Thread(target=lambda: seen.append(locked(database, alice, bob, since)))
    waiter.start()
    waiter.join(0.5)
    assert waiter.is_alive(), "the call must wait for the user lock the posting holds"
    release.set()
    posting.join(10)
    waiter.join(10)
    spent, total, _ = seen[0]
    assert (spent, total) == (500, 500)


def statements_of(database, post) -> list[str]:
    from sqlalchemy import event

    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        post()
    finally:
        event.remove(database.engine, "before_cursor_execute", count)
    return statements


def one_connection(database, options: str = "", **connect_args):
    """An engine on the test schema with one pooled connection (so a test knows which
    connection its settings are on)."""
    from sqlalchemy import create_engine

    from tests.support.database import CORE_SCHEMA

    return create_engine(
        database.engine.url.render_as_string(hide_password=False),
        pool_size=1,
        max_overflow=0,
        connect_args={"options": f"-c search_path={CORE_SCHEMA} {options}", **connect_args},
    )


def customer_transfer(session, alice, bob) -> ledger.PostingResult:
    return ledger.post_transfer(
        session,
        source_id=alice.account_id,
        destination_id=bob.account_id,
        amount=100,
        initiator_id=alice.id,
        owner_id=alice.id,
        key=str(uuid4()),
        limits=ledger.Limits(daily=1_000_000, per_transfer=1_000_000),
    )


def test_a_posting_is_two_statements_and_a_commit(database, requires_postgres, alice, bob):
    """BEGIN travels with the lock call (`driver.open_with`); then the write; then the
    session's COMMIT: three round trips, where there were five."""
    with database.session() as session:
        statements = statements_of(database, lambda: customer_transfer(session, alice, bob))
    assert len(statements) == 2, statements
    lock, write = statements
    assert lock.startswith(f"BEGIN; SELECT * FROM {lock_function.NAME}({alice.id}, ")
    assert write.lstrip().startswith("WITH j AS (")
    assert locked(database, alice, bob, None)[1] == 100  # committed: another session sees it


def test_a_write_that_fails_commits_nothing_and_the_session_recovers(
    database, requires_postgres, alice, bob
):
    """A write refused by the database (here a test's trigger) leaves nothing of the
    posting, raises SQLAlchemy's error, and the next posting on the session works."""
    from sqlalchemy.exc import DBAPIError

    from tests.support.ledger import execute

    execute(
        database,
        "CREATE FUNCTION refuse_4242() RETURNS trigger AS $$ BEGIN "
        "IF NEW.amount = -4242 THEN RAISE EXCEPTION 'refused by a test'; END IF; "
        "RETURN NEW; END; $$ LANGUAGE plpgsql",
    )
    execute(
        database,
        "CREATE TRIGGER refuse_4242 BEFORE INSERT ON entries "
        "FOR EACH ROW EXECUTE FUNCTION refuse_4242()",
    )
    try:
        with database.session() as session:
            with pytest.raises(DBAPIError, match="refused by a test"):
                ledger.post_transfer(
                    session,
                    source_id=alice.account_id,
                    destination_id=bob.account_id,
                    amount=4242,
                    initiator_id=alice.id,
                    key=str(uuid4()),
                )
            assert locked(database, alice, bob, None)[1] == 0  # no total: nothing stayed
            assert customer_transfer(session, alice, bob).status == "posted"
    finally:
        execute(database, "DROP TRIGGER refuse_4242 ON entries")
        execute(database, "DROP FUNCTION refuse_4242()")
    assert locked(database, alice, bob, None)[1] == 100


def test_in_a_transaction_already_open_the_call_is_bound_not_literal(
    database, requires_postgres, alice, bob
):
    """The web's confirmation opens the transaction with its destination lookup; the
    lock call then goes as the prepared, server-bound statement."""
    from sqlalchemy import text

    with database.session() as session:
        session.execute(text("SELECT 1"))
        statements = statements_of(database, lambda: customer_transfer(session, alice, bob))
    assert statements[0] == lock_function.CALL_SQL
    assert locked(database, alice, bob, None)[1] == 100  # alice's total: this transfer


def test_an_error_in_the_opening_call_is_sqlalchemys_and_the_session_recovers(
    database, requires_postgres, alice, bob
):
    """A lock that cannot be had in time raises as SQLAlchemy's OperationalError with
    PostgreSQL's code (what the retry loop reads), and the session works afterwards."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    from banking.core.ledger import driver

    since = datetime.now(UTC)
    engine = one_connection(database, options="-c lock_timeout=100ms")
    try:
        with database.session() as holder, Session(engine) as session:
            holder.execute(text("SELECT id FROM users WHERE id = :u FOR UPDATE"), {"u": alice.id})
            with pytest.raises(OperationalError) as caught:
                driver.open_with(
                    session,
                    lock_function.call_literal(alice.id, alice.account_id, bob.account_id, since),
                    lock_function.CALL_SQL,
                    {},
                )
            assert caught.value.orig.sqlstate == "55P03"  # lock_not_available
            session.rollback()
            holder.rollback()
            result = customer_transfer(session, alice, bob)
    finally:
        engine.dispose()
    assert result.status == "posted"


def test_a_connection_lost_under_the_opening_call_is_an_operational_error_and_invalidated(
    database, requires_postgres
):
    """The server gone while the pooled connection sat idle (a restart, a proxy cut): the
    one-message BEGIN must fail as a lost connection does on psycopg's own path, as
    SQLAlchemy's OperationalError with the connection invalidated (the web answers its
    friendly 503 and the pool reconnects), not as a bare DatabaseError, which the web
    would answer with a 500 and whose dead connection the pool would hand out again."""
    import psycopg
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    from banking.core.ledger import driver

    engine = one_connection(database)
    try:
        with Session(engine) as session:
            pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
            session.commit()  # idle in the pool's connection, as between two requests
            admin_url = database.engine.url.set(drivername="postgresql").render_as_string(
                hide_password=False
            )
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            with pytest.raises(OperationalError) as caught:
                driver.open_with(session, "SELECT 1", "SELECT 1", {})
            assert caught.value.connection_invalidated
            session.rollback()
            assert session.execute(text("SELECT 2")).scalar_one() == 2  # a new connection
    finally:
        engine.dispose()


def test_the_literal_call_takes_only_numbers_and_an_aware_timestamp():
    since = datetime(2026, 3, 10, 12, 0, 0, 5, tzinfo=UTC)
    assert lock_function.call_literal(1, 2, 3, since) == (
        f"SELECT * FROM {lock_function.NAME}(1, 2, 3, '2026-03-10T12:00:00.000005+00:00'"
        "::timestamptz)"
    )
    assert lock_function.call_literal(1, 2, 3, None).endswith("(1, 2, 3, NULL)")
    with pytest.raises(ValueError):
        lock_function.call_literal(1, 2, 3, since.replace(tzinfo=None))
    with pytest.raises(ValueError):
        lock_function.call_literal("1); DROP TABLE users; --", 2, 3, None)  # type: ignore[arg-type]


@pytest.mark.parametrize("status", ["frozen", "closed"])
def test_the_rule_book_still_decides_on_the_rows_it_returns(
    database, requires_postgres, alice, bob, status
):
    from tests.support.ledger import execute

    execute(database, "UPDATE accounts SET status = :s WHERE id = :id", s=status, id=bob.account_id)
    with pytest.raises(ledger.LedgerError):
        send(database, alice.account_id, bob.account_id, 100, initiator_id=alice.id)


def test_a_memo_arrives_exactly_as_typed(database, requires_postgres, alice, bob):
    """The memo is the customer's own text: quotes, backslashes and non-ASCII letters
    reach the journal as typed (a bound parameter), never as SQL."""
    from banking.core.models import JournalTransaction

    memo = "O'Brien's \\ rent; DROP TABLE users; -- café \"x\" 💸"
    result = send(database, alice.account_id, bob.account_id, 100, initiator_id=alice.id, memo=memo)
    with database.session() as session:
        assert session.get(JournalTransaction, result.transaction_id).memo == memo
        assert session.scalar(text("SELECT count(*) FROM users")) >= 2
