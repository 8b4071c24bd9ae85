"""The daily limit from running totals (`ledger.sent`): the same figure the old 24-hour SUM
gave, at the cost of two index probes, proved by `ledger verify --deep`.

Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL (where posting takes the
two-statement path whose lock function reads the totals, ledger/lock_function.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from banking.core import ledger
from banking.core.clock import FixedClock
from banking.core.integrity import verify_ledger
from banking.core.ledger import sent
from banking.core.models import JournalTransaction
from tests.support.builders import make_customer
from tests.support.ledger import call, execute, random_sent_history, send

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
COUNTED = ("posted", "pending")


def at(minutes: float) -> FixedClock:
    return FixedClock(T0 + timedelta(minutes=minutes))


def old_sum(database, user_id: int, since: datetime) -> int:
    """The definition the totals must agree with: a SUM of the counted rows."""
    with database.session() as session:
        return int(
            session.scalar(
                select(func.coalesce(func.sum(JournalTransaction.amount), 0)).where(
                    JournalTransaction.initiator_id == user_id,
                    JournalTransaction.kind == "transfer",
                    JournalTransaction.status.in_(COUNTED),
                    JournalTransaction.created_at >= since,
                )
            )
        )


def spent(database, user_id: int, since: datetime) -> int:
    with database.session() as session:
        return int(session.scalar(ledger.rules.spent_since_query(user_id, since)))


def totals(database, user_id: int) -> list[int]:
    with database.session() as session:
        return list(
            session.scalars(
                select(JournalTransaction.sent_total)
                .where(JournalTransaction.initiator_id == user_id)
                .order_by(JournalTransaction.id)
            )
        )


def test_each_transfer_carries_its_senders_running_total(database, alice, bob):
    for amount in (100, 250, 7):
        send(database, alice.account_id, bob.account_id, amount, initiator_id=alice.id)
    send(database, bob.account_id, alice.account_id, 40, initiator_id=bob.id)
    assert totals(database, alice.id) == [100, 350, 357]
    assert totals(database, bob.id) == [40]


def test_an_adjustment_or_a_transfer_without_a_customer_carries_no_total(database, alice, bob):
    from tests.support.ledger import adjust

    adjust(database, alice.account_id, 500)
    send(database, alice.account_id, bob.account_id, 100)  # no initiator: nobody's limit
    with database.session() as session:
        stamped = session.scalars(select(JournalTransaction.sent_total)).all()
    assert len(stamped) >= 2 and set(stamped) == {None}  # the fixtures' funding, then these


def test_the_window_is_the_latest_total_minus_the_last_one_before_it(database, alice, bob):
    limits = ledger.Limits(daily=10_000)
    for minute, amount in ((0, 1_000), (60, 2_000), (24 * 60 + 30, 3_000)):
        send(
            database,
            alice.account_id,
            bob.account_id,
            amount,
            initiator_id=alice.id,
            limits=limits,
            clock=at(minute),
        )
    # 24 h before minute 1,470 is minute 30: the first transfer is out, the others in.
    since = T0 + timedelta(minutes=30)
    assert spent(database, alice.id, since) == old_sum(database, alice.id, since) == 5_000
    # A boundary exactly on a stamp counts that transfer (created_at >= since).
    since = T0 + timedelta(minutes=60)
    assert spent(database, alice.id, since) == 5_000
    assert spent(database, alice.id, since + timedelta(microseconds=1)) == 3_000


def test_released_holds_in_the_window_stop_counting(database, alice, bob):
    review = ledger.Limits(review_threshold=1_000)
    admin = make_customer(database, "Ada Admin")
    send(database, alice.account_id, bob.account_id, 500, initiator_id=alice.id)
    rejected = send(
        database, alice.account_id, bob.account_id, 3_000, initiator_id=alice.id, limits=review
    )
    expired = send(
        database, alice.account_id, bob.account_id, 2_000, initiator_id=alice.id, limits=review
    )
    held = send(
        database, alice.account_id, bob.account_id, 1_500, initiator_id=alice.id, limits=review
    )
    call(database, ledger.reject_hold, rejected.transaction_id, admin_id=admin.id, reason="no")
    execute(
        database,
        "UPDATE holds SET expires_at = :past WHERE transaction_id = :id",
        past=datetime.now(UTC) - timedelta(minutes=1),
        id=expired.transaction_id,
    )
    assert call(database, ledger.expire_holds) == 1
    since = datetime.now(UTC) - ledger.rules.DAILY_WINDOW
    assert held.status == "pending"
    assert spent(database, alice.id, since) == old_sum(database, alice.id, since) == 2_000
    with database.session() as session:
        assert ledger.spent_last_24h(session, alice.id) == 2_000


def test_random_histories_agree_with_the_sum_at_every_boundary(database, alice, bob):
    """Property: for any mix of amounts, gaps, held and released transfers, the totals'
    figure equals the SUM of the counted rows, wherever the window starts."""
    alice, minute = random_sent_history(database, bob, seed=20261201, transfers=40, start=T0)
    for step in range(0, int(minute) + 2, 37):
        since = T0 + timedelta(minutes=step)
        assert spent(database, alice.id, since) == old_sum(database, alice.id, since), step


def test_a_clock_that_goes_back_stamps_at_the_latest_transfers_time(database, alice, bob):
    """The window arithmetic needs one customer's stamps in the order of their totals."""
    send(database, alice.account_id, bob.account_id, 100, initiator_id=alice.id, clock=at(60))
    late = send(
        database, alice.account_id, bob.account_id, 200, initiator_id=alice.id, clock=at(0)
    )
    with database.session() as session:
        stamped = session.get(JournalTransaction, late.transaction_id).created_at
    assert stamped.replace(tzinfo=UTC) == T0 + timedelta(minutes=60)
    # Another customer's transfer is stamped by the clock as given.
    other = send(database, bob.account_id, alice.account_id, 5, initiator_id=bob.id, clock=at(0))
    with database.session() as session:
        stamped = session.get(JournalTransaction, other.transaction_id).created_at
    assert stamped.replace(tzinfo=UTC) == T0


def test_the_daily_limit_still_refuses_the_transfer_that_would_exceed_it(database, alice, bob):
    limits = ledger.Limits(daily=5_000)
    for minute in (0, 10):
        send(
            database,
            alice.account_id,
            bob.account_id,
            2_000,
            initiator_id=alice.id,
            limits=limits,
            clock=at(minute),
        )
    with pytest.raises(ledger.LimitExceeded, match="24-hour"):
        send(
            database,
            alice.account_id,
            bob.account_id,
            1_001,
            initiator_id=alice.id,
            limits=limits,
            clock=at(20),
        )
    # A day after the first, it has left the window: 2,000 + 3,000 fits.
    send(
        database,
        alice.account_id,
        bob.account_id,
        3_000,
        initiator_id=alice.id,
        limits=limits,
        clock=at(24 * 60 + 1),
    )
    assert totals(database, alice.id) == [2_000, 4_000, 7_000]


@pytest.mark.corrupts_ledger
def test_verify_finds_a_wrong_total_and_a_stamp_that_goes_back(database, alice, bob):
    first = send(database, alice.account_id, bob.account_id, 100, initiator_id=alice.id)
    second = send(database, alice.account_id, bob.account_id, 200, initiator_id=alice.id)
    with database.session() as session:
        assert verify_ledger(session, deep=True).ok
    execute(database, "UPDATE journal_transactions SET sent_total = 999 WHERE id = :id",
            id=first.transaction_id)  # fmt: skip
    execute(
        database,
        "UPDATE journal_transactions SET created_at = :when WHERE id = :id",
        when=datetime.now(UTC) - timedelta(days=2),
        id=second.transaction_id,
    )
    with database.session() as session:
        report = verify_ledger(session, deep=True)
    found = [breach.message for breach in report.breaches if breach.check == "sent_total"]
    assert any(f"#{first.transaction_id} " in m and "sent_total 999" in m for m in found), found
    assert any(f"#{second.transaction_id} " in m and "stamped before" in m for m in found)


def test_counts_names_the_movements_that_carry_a_total():
    assert sent.counts("transfer", 7)
    assert not sent.counts("transfer", None)
    assert not sent.counts("adjustment", 7)


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def test_the_figure_reads_a_few_index_rows_however_much_was_sent(
    database, requires_postgres, alice, bob
):
    """On PostgreSQL the daily figure is two backward index probes (one row each) and a
    scan of the released holds: 300 transfers in the window cost what 3 do."""
    from sqlalchemy import text

    alice = make_customer(database, "Busy Alice", balance="1000.00")
    for minute in range(300):
        send(database, alice.account_id, bob.account_id, 1, initiator_id=alice.id,
             clock=at(minute))  # fmt: skip
    since = T0  # every one of them is in the window
    query = ledger.rules.spent_since_query(alice.id, since)
    compiled = query.compile(database.engine, compile_kwargs={"literal_binds": True})
    with database.engine.connect() as conn:
        for setting in ("enable_seqscan", "enable_bitmapscan"):  # plan as for a big table
            conn.execute(text(f"SET LOCAL {setting} = off"))
        figure = conn.execute(text(str(compiled))).scalar()
        raw = conn.execute(text(f"EXPLAIN (ANALYZE, FORMAT JSON) {compiled}")).scalar()
        conn.rollback()
    assert figure == 300
    plan = raw[0]["Plan"] if isinstance(raw, list) else __import__("json").loads(raw)[0]["Plan"]
    scans = [n for n in _nodes(plan) if n.get("Relation Name") == "journal_transactions"]
    assert {n["Index Name"] for n in scans} == {
        "ix_journal_transactions_sent",
        "ix_journal_transactions_released",
    }, scans
    assert all(n["Actual Rows"] * n["Actual Loops"] <= 1 for n in scans), scans
