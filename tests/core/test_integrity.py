"""verify_ledger: silent on a healthy ledger, and names each deliberately broken invariant.

Most corruptions happen inside `scratch_session` (a transaction rolled back afterwards),
so PostgreSQL's append-only trigger and CHECKs can be side-stepped there without
touching the shared database; a few are committed raw SQL, as an operator could do.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from banking.core import ledger
from banking.core.integrity import verify_ledger
from tests.support.builders import make_admin, make_customer
from tests.support.ledger import adjust, call, execute, scratch_session, send, verify

REVIEW = ledger.Limits(review_threshold=5000)


@pytest.fixture
def books(database):
    """A small but complete ledger: transfers, adjustments, a reversal, a pending hold."""
    alice = make_customer(database, "Alice Able", balance="100.00")
    bob = make_customer(database, "Bob Baker", balance="20.00")
    admin = make_admin(database)
    first = send(database, alice.account_id, bob.account_id, 1500)
    send(database, bob.account_id, alice.account_id, 500)
    adjust(database, alice.account_id, 12, kind="interest", system_code=ledger.INTEREST_EXPENSE)
    reversed_txn = send(database, alice.account_id, bob.account_id, 300)
    call(
        database,
        ledger.reverse_transaction,
        reversed_txn.transaction_id,
        initiator_id=admin.id,
        reason="",
    )
    held = send(database, alice.account_id, bob.account_id, 6000, limits=REVIEW)
    return {
        "alice": alice.account_id,
        "bob": bob.account_id,
        "posted": first.transaction_id,
        "pending": held.transaction_id,
        "reversed": reversed_txn.transaction_id,
    }


def corrupted(database, *statements: str, **params):
    """The report verify_ledger gives after `statements`, which are then rolled back."""
    with scratch_session(database) as (session, conn):
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE entries DISABLE TRIGGER entries_append_only"))
            conn.execute(
                text("ALTER TABLE accounts DROP CONSTRAINT ck_accounts_balance_within_overdraft")
            )
            conn.execute(
                text("ALTER TABLE accounts DROP CONSTRAINT ck_accounts_available_within_overdraft")
            )
        else:
            conn.exec_driver_sql("PRAGMA ignore_check_constraints = ON")
        try:
            for statement in statements:
                conn.execute(text(statement), params)
            return verify_ledger(session, deep=True)
        finally:
            if conn.dialect.name != "postgresql":
                conn.exec_driver_sql("PRAGMA ignore_check_constraints = OFF")


def checks_failing(report) -> set[str]:
    return {breach.check for breach in report.breaches}


def test_a_healthy_ledger_verifies_ok(database, books):
    report = verify(database, deep=True)
    assert report.ok, report.format()
    assert report.breaches == []
    assert "OK" in report.format()
    assert report.totals["entries"] > 0
    assert set(report.checks) >= {
        "transaction_balance",
        "grand_total",
        "account_balance",
        "available_balance",
        "overdraft",
        "reversal",
        "hold",
        "closed_account",
        "currency",
        "running_balance",
    }


def test_an_empty_ledger_verifies_ok(database):
    assert verify(database, deep=True).ok


def test_scratch_corruption_leaves_the_database_clean(database, books):
    report = corrupted(
        database, "UPDATE accounts SET balance = balance + 1 WHERE id = :id", id=books["bob"]
    )
    assert not report.ok
    assert verify(database, deep=True).ok


def test_a_balance_edited_by_raw_sql_is_reported(database, books):
    execute(
        database,
        "UPDATE accounts SET balance = balance + 100, available_balance = available_balance + 100 "
        "WHERE id = :id",
        id=books["bob"],
    )
    report = verify(database)

    assert not report.ok
    assert {"account_balance", "grand_total"} <= checks_failing(report)
    text_report = report.format()
    assert f"account #{books['bob']} balance is 3100 but sum of entries is 3000" in text_report
    assert "latest entry" in text_report
    assert "USD account balances sum to 100, not 0" in text_report
    execute(
        database,
        "UPDATE accounts SET balance = balance - 100, available_balance = available_balance - 100 "
        "WHERE id = :id",
        id=books["bob"],
    )
    assert verify(database).ok  # undone by hand, the books verify again


def test_an_available_balance_out_of_step_with_holds_is_reported(database, books):
    report = corrupted(
        database,
        "UPDATE accounts SET available_balance = balance WHERE id = :id",
        id=books["alice"],
    )
    assert checks_failing(report) == {"available_balance"}
    assert f"account #{books['alice']} available balance" in report.format()


def test_a_released_hold_on_a_pending_transaction_is_reported(database, books):
    report = corrupted(
        database, "UPDATE holds SET active = false WHERE transaction_id = :id", id=books["pending"]
    )
    assert {"hold", "available_balance"} <= checks_failing(report)
    assert f"pending transaction #{books['pending']} has no active hold" in report.format()


def test_an_active_hold_on_a_posted_transaction_is_reported(database, books):
    report = corrupted(
        database,
        "UPDATE journal_transactions SET status = 'rejected' WHERE id = :id",
        id=books["pending"],
    )
    assert "hold" in checks_failing(report)
    assert f"transaction #{books['pending']} (rejected" in report.format()


def test_a_closed_account_still_holding_money_is_reported(database, books):
    report = corrupted(
        database, "UPDATE accounts SET status = 'closed' WHERE id = :id", id=books["bob"]
    )
    assert checks_failing(report) == {"closed_account"}
    assert f"closed account #{books['bob']} still has balance" in report.format()


def test_a_closed_account_with_an_active_hold_is_reported(database, books):
    """Alice's pending transfer still reserves money on the account closed under it."""
    report = corrupted(
        database, "UPDATE accounts SET status = 'closed' WHERE id = :id", id=books["alice"]
    )
    assert checks_failing(report) == {"closed_account"}
    assert f"closed account #{books['alice']} still has" in report.format()
    assert "1 active hold(s)" in report.format()


def test_a_closed_account_at_zero_verifies_ok(database):
    alice = make_customer(database, "Alice Able")
    with database.session() as session:
        ledger.close_account(session, alice.account_id)
    assert verify(database).ok


def test_an_unbalanced_entry_is_reported(database, books):
    report = corrupted(
        database,
        "INSERT INTO entries (transaction_id, account_id, amount, balance_after, created_at) "
        "VALUES (:txn, :account, 1, 0, CURRENT_TIMESTAMP)",
        txn=books["posted"],
        account=books["bob"],
    )
    failing = checks_failing(report)
    assert {"transaction_balance", "grand_total", "account_balance"} <= failing
    assert f"transaction #{books['posted']} entries sum to 1, not 0" in report.format()
    assert "all entries sum to 1, not 0" in report.format()


def test_entries_on_a_pending_transaction_are_reported(database, books):
    report = corrupted(
        database,
        "INSERT INTO entries (transaction_id, account_id, amount, balance_after, created_at) "
        "VALUES (:txn, :a, -5, 0, CURRENT_TIMESTAMP), (:txn, :b, 5, 0, CURRENT_TIMESTAMP)",
        txn=books["pending"],
        a=books["alice"],
        b=books["bob"],
    )
    assert f"transaction #{books['pending']} is pending but has 2 entries" in report.format()


def test_a_posted_transaction_without_entries_is_reported(database, books):
    report = corrupted(
        database, "DELETE FROM entries WHERE transaction_id = :id", id=books["posted"]
    )
    assert f"transaction #{books['posted']} is posted with 0 entries" in report.format()
    assert "account_balance" in checks_failing(report)


def test_a_posted_transaction_with_one_entry_is_reported(database, books):
    report = corrupted(
        database,
        "DELETE FROM entries WHERE id = (SELECT MAX(id) FROM entries WHERE transaction_id = :id)",
        id=books["posted"],
    )
    assert f"transaction #{books['posted']}" in report.format()
    assert "is posted with 1 entry" in report.format()


def test_entries_that_do_not_match_the_headline_are_reported(database, books):
    report = corrupted(
        database,
        "UPDATE journal_transactions SET amount = amount + 1 WHERE id = :id",
        id=books["posted"],
    )
    assert checks_failing(report) >= {"transaction_headline"}


def test_a_wrong_balance_after_is_reported(database, books):
    report = corrupted(
        database,
        "UPDATE entries SET balance_after = balance_after + 7 "
        "WHERE id = (SELECT MIN(id) FROM entries WHERE account_id = :id)",
        id=books["bob"],
    )
    assert checks_failing(report) == {"running_balance"}


def test_a_wrong_latest_balance_after_is_reported_even_without_deep(database, books):
    with scratch_session(database) as (session, conn):
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE entries DISABLE TRIGGER entries_append_only"))
        conn.execute(
            text(
                "UPDATE entries SET balance_after = balance_after + 7 "
                "WHERE id = (SELECT MAX(id) FROM entries WHERE account_id = :id)"
            ),
            {"id": books["bob"]},
        )
        report = verify_ledger(session)
    assert checks_failing(report) == {"account_balance"}
    assert "latest entry" in report.format()


def test_a_balance_below_the_overdraft_is_reported(database, books):
    report = corrupted(
        database,
        "UPDATE accounts SET overdraft_limit = 0, balance = balance - 100000, "
        "available_balance = available_balance - 100000 WHERE id = :id",
        id=books["bob"],
    )
    assert "overdraft" in checks_failing(report)
    assert f"account #{books['bob']} balance" in report.format()


def test_mixed_currencies_in_one_transaction_are_reported(database, books):
    report = corrupted(
        database, "UPDATE accounts SET currency = 'EUR' WHERE id = :id", id=books["bob"]
    )
    # Bob's money also left the USD books for EUR ones nothing balances: both are reported.
    assert checks_failing(report) == {"currency", "grand_total"}
    assert "currencies" in report.format()
    assert "EUR account balances sum to" in report.format()


def test_a_reversal_of_a_pending_transaction_is_reported(database, books):
    report = corrupted(
        database,
        "UPDATE journal_transactions SET status = 'pending' WHERE id = :id",
        id=books["reversed"],
    )
    assert "reversal" in checks_failing(report)
    assert f"reverses #{books['reversed']}, which is pending" in report.format()


def test_a_reversal_pointing_at_a_reversal_is_reported(database, books):
    report = corrupted(
        database,
        "UPDATE journal_transactions SET kind = 'reversal' WHERE id = :id",
        id=books["reversed"],
    )
    assert "reversal" in checks_failing(report)
    assert "reverses another reversal" in report.format()


def test_a_reversal_without_a_target_or_not_mirroring_is_reported(database, books):
    report = corrupted(
        database,
        "UPDATE journal_transactions SET reverses_id = NULL WHERE reverses_id = :id",
        id=books["reversed"],
    )
    assert "does not say which transaction it reverses" in report.format()
    report = corrupted(
        database,
        "UPDATE journal_transactions SET reverses_id = :other WHERE reverses_id = :id",
        id=books["reversed"],
        other=books["posted"],
    )
    assert "is not the mirror image" in report.format()


def test_a_non_reversal_claiming_to_reverse_is_reported(database, books):
    report = corrupted(
        database,
        "UPDATE journal_transactions SET reverses_id = :target WHERE id = :id",
        id=books["posted"],
        target=books["pending"],
    )
    assert f"transaction #{books['posted']} of kind 'transfer' claims to reverse" in report.format()


def test_many_breaches_are_listed_up_to_the_limit(database, books):
    with scratch_session(database) as (session, conn):
        conn.execute(
            text(
                "UPDATE accounts SET balance = balance + 1, "
                "available_balance = available_balance + 1"
            )
        )
        report = verify_ledger(session, limit=2)
    balance_breaches = [b for b in report.breaches if b.check == "account_balance"]
    assert len(balance_breaches) == 2
    assert report.truncated["account_balance"] is True
    assert "and more" in report.format()
    assert "account_balance" in report.to_dict()["truncated"]
