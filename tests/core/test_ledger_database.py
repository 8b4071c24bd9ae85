"""What the database guarantees under the ledger: retries, the append-only trigger, CHECKs."""

from __future__ import annotations

import threading
import time

import psycopg.errors
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from banking.core import ledger
from banking.core.ledger import posting, retries
from tests.support.ledger import count_transactions, send, state, verify


def database_error(orig: Exception) -> OperationalError:
    """The error SQLAlchemy raises when psycopg reports `orig` mid-statement."""
    return OperationalError("SELECT … FOR NO KEY UPDATE", {}, orig)


def fail_first(monkeypatch, *errors: Exception) -> list[int]:
    """Make the first len(errors) posting attempts fail with `errors`, then run for real."""
    real = posting._execute
    calls: list[int] = []

    def flaky(session, *args, **kwargs):
        calls.append(1)
        if len(calls) <= len(errors):
            session.execute(text("SELECT 1"))  # a real transaction to roll back
            raise errors[len(calls) - 1]
        return real(session, *args, **kwargs)

    monkeypatch.setattr(posting, "_execute", flaky)
    monkeypatch.setattr(retries.time, "sleep", lambda seconds: None)
    return calls


# Retries -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "orig",
    [
        psycopg.errors.DeadlockDetected("deadlock detected"),
        psycopg.errors.SerializationFailure("could not serialize access"),
    ],
    ids=["deadlock-40P01", "serialization-40001"],
)
def test_deadlock_or_serialization_failure_is_retried_and_money_moves_once(
    database, alice, bob, monkeypatch, orig
):
    calls = fail_first(monkeypatch, database_error(orig))

    with ledger.counting_retries() as counter:
        result = send(database, alice.account_id, bob.account_id, 1500)

    assert result.status == "posted"
    assert len(calls) == 2
    assert counter.retries == 1
    assert state(database, bob.account_id) == (1500, 1500)
    assert count_transactions(database, kind="transfer") == 1


def test_retry_recognizes_the_sqlstate_on_any_dbapi_error_class(database, alice, bob, monkeypatch):
    """psycopg may surface 40P01 as another DBAPI class; the sqlstate is what counts."""
    error = DBAPIError("UPDATE accounts", {}, psycopg.errors.DeadlockDetected("deadlock"))
    fail_first(monkeypatch, error, error)
    result = send(database, alice.account_id, bob.account_id, 100)
    assert result.status == "posted"


def test_sqlite_busy_database_is_retried(database, alice, bob, monkeypatch):
    import sqlite3

    fail_first(monkeypatch, database_error(sqlite3.OperationalError("database is locked")))
    assert send(database, alice.account_id, bob.account_id, 100).status == "posted"


def test_other_database_errors_are_not_retried(database, alice, bob, monkeypatch):
    calls = fail_first(
        monkeypatch, database_error(psycopg.errors.QueryCanceled("canceling statement"))
    )
    with pytest.raises(OperationalError):
        send(database, alice.account_id, bob.account_id, 100)
    assert len(calls) == 1
    assert state(database, bob.account_id) == (0, 0)


def test_retries_are_bounded_and_then_nothing_moves(database, alice, bob, monkeypatch):
    deadlock = database_error(psycopg.errors.DeadlockDetected("deadlock detected"))
    calls = fail_first(monkeypatch, *[deadlock] * 10)
    with pytest.raises(ledger.RetriesExhausted):
        send(database, alice.account_id, bob.account_id, 100, max_retries=3)
    assert len(calls) == 4
    assert state(database, alice.account_id) == (10000, 10000)
    assert count_transactions(database, kind="transfer") == 0


def test_a_real_deadlock_on_postgresql_is_retried(database, requires_postgres, alice, bob):
    """Another session locks B then A while the ledger locks A then B: PostgreSQL kills
    the ledger's attempt with 40P01 (as SQLAlchemy's OperationalError); the retry posts it."""
    low, high = sorted([alice.account_id, bob.account_id])
    outcome: dict = {}

    with ledger.counting_retries() as counter, database.engine.connect() as rival:
        rival.execute(text("SET deadlock_timeout = '20s'"))  # the ledger's backend detects it
        rival.execute(text("SELECT id FROM accounts WHERE id = :id FOR UPDATE"), {"id": high})

        def transfer() -> None:
            try:
                outcome["result"] = send(database, low, high, 700)
            except Exception as exc:  # reported below
                outcome["error"] = exc

        worker = threading.Thread(target=transfer)
        worker.start()
        _wait_until_blocked(database, rival)
        # Now complete the cycle: the rival wants the row the ledger holds.
        rival.execute(text("SELECT id FROM accounts WHERE id = :id FOR UPDATE"), {"id": low})
        time.sleep(0.2)
        rival.rollback()
        worker.join(timeout=30)

    assert "error" not in outcome, outcome.get("error")
    assert outcome["result"].status == "posted"
    assert counter.by_reason["deadlock"] >= 1
    assert count_transactions(database, kind="transfer") == 1
    assert verify(database).ok


def _wait_until_blocked(database, rival, timeout: float = 10.0) -> None:
    """Wait until some backend waits on a row lock held by the rival connection."""
    rival_pid = rival.execute(text("SELECT pg_backend_pid()")).scalar()
    deadline = time.monotonic() + timeout
    with database.engine.connect() as probe:
        while time.monotonic() < deadline:
            waiting = probe.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"
                ),
                {"pid": rival_pid},
            ).scalar()
            probe.rollback()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the ledger never blocked on the rival's lock")


# Guards below the code -----------------------------------------------------------------
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE entries SET amount = amount + 1",
        "UPDATE entries SET balance_after = 0",
        "DELETE FROM entries",
    ],
)
def test_postgresql_refuses_to_change_or_delete_journal_entries(
    database, requires_postgres, alice, statement
):
    with (
        pytest.raises(DBAPIError, match="append-only"),
        database.engine.begin() as conn,
    ):
        conn.execute(text(statement))
    assert verify(database, deep=True).ok


@pytest.mark.parametrize("column", ["balance", "available_balance"])
def test_check_constraint_refuses_a_balance_below_the_overdraft_even_bypassing_the_code(
    database, alice, column
):
    with database.engine.begin() as conn:
        conn.execute(
            text("UPDATE accounts SET overdraft_limit = 500 WHERE id = :id"),
            {"id": alice.account_id},
        )
    with pytest.raises(IntegrityError), database.engine.begin() as conn:
        conn.execute(
            text(f"UPDATE accounts SET {column} = -501 WHERE id = :id"),
            {"id": alice.account_id},
        )
    with database.engine.begin() as conn:  # down to the limit itself is allowed
        conn.execute(
            text(f"UPDATE accounts SET {column} = -500 WHERE id = :id"),
            {"id": alice.account_id},
        )
    with database.engine.begin() as conn:  # leave the books as the ledger wrote them
        conn.execute(
            text("UPDATE accounts SET balance = 10000, available_balance = 10000 WHERE id = :id"),
            {"id": alice.account_id},
        )
    assert verify(database).ok


def test_system_accounts_may_go_negative(database, alice):
    with database.session() as session:
        cash = ledger.system_account_id(session, ledger.EXTERNAL_CASH, "USD")
    assert state(database, cash)[0] == -10000  # external cash paid for Alice's deposit
