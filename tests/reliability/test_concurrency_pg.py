"""The ledger under real contention on PostgreSQL: threads, processes, racing double submits.

Each test builds its own accounts, hammers them, then proves the books: total unchanged,
nobody below their overdraft, balance == sum(entries) == last balance_after, and
verify_ledger ok. InsufficientFunds is an expected refusal (counted); any other
exception, a deadlock included, is a failure. Figures are printed (`pytest -s`).
"""

from __future__ import annotations

import multiprocessing
import random
import threading
import time
from uuid import uuid4

import pytest
from sqlalchemy import func, select

from banking.core import ledger
from banking.core.integrity import verify_ledger
from banking.core.models import Account, Entry
from banking.extensions import db
from tests.support.builders import add_account, make_admin, make_customer
from tests.support.ledger import adjust, count_transactions, send, state

pytestmark = pytest.mark.slow

ACCOUNTS = 5
THREADS = 8
TRANSFERS_PER_THREAD = 250  # 2,000 in all
PROCESSES = 2
TRANSFERS_PER_PROCESS = 1000  # 2,000 in all
OVERDRAFTS = [0, 0, 20_000, 0, 50_000]  # cents; two accounts may dip below zero
OPENING = 50_000  # cents per account


def build_accounts(app) -> list[int]:
    owner = make_customer(app, "Stress Owner")
    accounts = [
        add_account(app, owner.id, kind="checking", overdraft=limit) for limit in OVERDRAFTS
    ]
    for account_id in accounts:
        adjust(app, account_id, OPENING, kind="deposit", system_code=ledger.EXTERNAL_CASH)
    return accounts


def run_transfers(accounts: list[int], seed: int, count: int, tag: str) -> dict:
    """Random transfers on the current app context's session; returns what happened.

    Every third transfer is on the same pair, in a direction that depends on the worker's
    parity, so A->B and B->A run against each other all the time.
    """
    rng = random.Random(seed)
    outcome = {"posted": 0, "refused": 0, "errors": []}
    for number in range(count):
        if number % 3 == 0:
            source, destination = accounts[0], accounts[1]
            if seed % 2:
                source, destination = destination, source
        else:
            source, destination = rng.sample(accounts, 2)
        try:
            ledger.post_transfer(
                db.session,
                source_id=source,
                destination_id=destination,
                amount=rng.randint(1, 40_000),
                initiator_id=None,
                key=f"{tag}-{seed}-{number}",
            )
            outcome["posted"] += 1
        except ledger.InsufficientFunds:
            outcome["refused"] += 1
        except Exception as exc:  # anything else is a bug; collect it for the assertion
            outcome["errors"].append(repr(exc))
    db.session.remove()  # the ledger ended each transaction itself; keep one connection
    return outcome


def assert_books_balance(app, accounts: list[int]) -> None:
    with app.app_context():
        rows = db.session.execute(
            select(Account.id, Account.balance, Account.available_balance, Account.overdraft_limit)
            .where(Account.id.in_(accounts))
            .order_by(Account.id)
        ).all()
        total = sum(row.balance for row in rows)
        assert total == OPENING * ACCOUNTS, f"money created or destroyed: {total}"
        for row in rows:
            assert row.balance >= -row.overdraft_limit, row
            assert row.available_balance == row.balance, row  # no holds in these runs
            entries_sum = db.session.scalar(
                select(func.sum(Entry.amount)).where(Entry.account_id == row.id)
            )
            last_after = db.session.scalar(
                select(Entry.balance_after)
                .where(Entry.account_id == row.id)
                .order_by(Entry.id.desc())
                .limit(1)
            )
            assert row.balance == entries_sum == last_after, (row, entries_sum, last_after)
        report = verify_ledger(db.session, deep=True)
        assert report.ok, report.format()
        db.session.remove()


def test_threads_racing_random_transfers_keep_the_books_balanced(app, requires_postgres):
    accounts = build_accounts(app)
    barrier = threading.Barrier(THREADS)
    outcomes: list[dict] = []
    retry_counter = ledger.RetryCounter()
    unsubscribe = ledger.on_retry(retry_counter)

    def worker(seed: int) -> None:
        with app.app_context():
            barrier.wait()
            outcomes.append(run_transfers(accounts, seed, TRANSFERS_PER_THREAD, "thread"))

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(THREADS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    elapsed = time.perf_counter() - started
    unsubscribe()

    assert len(outcomes) == THREADS, "a worker thread died or hung"
    errors = [error for outcome in outcomes for error in outcome["errors"]]
    posted = sum(outcome["posted"] for outcome in outcomes)
    refused = sum(outcome["refused"] for outcome in outcomes)
    retries = retry_counter.retries
    print(
        f"\n{THREADS} threads: {posted + refused} transfers in {elapsed:.1f}s "
        f"({(posted + refused) / elapsed:.0f}/s): {posted} posted, {refused} refused "
        f"(InsufficientFunds), {retries} retries, {len(errors)} unexpected errors"
    )
    assert errors == []
    assert posted + refused == THREADS * TRANSFERS_PER_THREAD
    assert posted > 0 and refused > 0  # both paths really ran under contention
    assert count_transactions(app, kind="transfer") == posted
    assert_books_balance(app, accounts)


def _process_worker(accounts: list[int], seed: int, count: int) -> dict:
    """Runs in a spawned process: its own app, engine and pool, like a gunicorn worker."""
    from banking.app import create_app
    from config import TestingConfig

    app = create_app(TestingConfig())  # TEST_DATABASE_URL comes from the inherited env
    tag = f"process-{uuid4().hex[:8]}"
    outcomes: list[dict] = []

    def worker(thread_seed: int) -> None:
        with app.app_context():
            outcomes.append(run_transfers(accounts, thread_seed, count // 2, tag))

    # Two threads per process: the OS processes race each other and themselves.
    threads = [threading.Thread(target=worker, args=(seed * 2 + n,)) for n in range(2)]
    started = time.perf_counter()
    with ledger.counting_retries() as retry_counter:  # this task's retries only
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    elapsed = time.perf_counter() - started
    with app.app_context():
        db.engine.dispose()
    return {
        "posted": sum(o["posted"] for o in outcomes),
        "refused": sum(o["refused"] for o in outcomes),
        "errors": [error for o in outcomes for error in o["errors"]]
        + ["a worker thread died"] * (2 - len(outcomes)),
        "retries": retry_counter.retries,
        "seconds": elapsed,
    }


def test_processes_racing_random_transfers_keep_the_books_balanced(app, requires_postgres):
    accounts = build_accounts(app)
    context = multiprocessing.get_context("spawn")
    started = time.perf_counter()
    with context.Pool(PROCESSES) as pool:
        outcomes = pool.starmap(
            _process_worker,
            [(accounts, seed, TRANSFERS_PER_PROCESS) for seed in range(PROCESSES)],
        )
    elapsed = time.perf_counter() - started

    errors = [error for outcome in outcomes for error in outcome["errors"]]
    posted = sum(outcome["posted"] for outcome in outcomes)
    refused = sum(outcome["refused"] for outcome in outcomes)
    retries = sum(outcome["retries"] for outcome in outcomes)
    busy = max(outcome["seconds"] for outcome in outcomes)
    print(
        f"\n{PROCESSES} processes x 2 threads: {posted + refused} transfers in {busy:.1f}s "
        f"({(posted + refused) / busy:.0f}/s; {elapsed:.1f}s with process start-up): "
        f"{posted} posted, {refused} refused, {retries} retries, {len(errors)} unexpected errors"
    )
    assert errors == []
    assert posted + refused == PROCESSES * TRANSFERS_PER_PROCESS
    assert count_transactions(app, kind="transfer") == posted
    assert_books_balance(app, accounts)


def race(app, count: int, action) -> list:
    """Run `action(index)` in `count` threads released at once; return results/exceptions."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(index: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                results[index] = action(index)
            except Exception as exc:
                results[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.parametrize("amount", [1234, 10000], ids=["part", "whole-balance"])
def test_concurrent_double_submit_of_one_key_moves_money_once(app, requires_postgres, amount):
    """With the whole balance, the twins waiting on the lock would fail the funds check:
    they must still get the first submit's result, not InsufficientFunds."""
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")

    results = race(
        app,
        8,
        lambda _: ledger.post_transfer(
            db.session,
            source_id=alice.account_id,
            destination_id=bob.account_id,
            amount=amount,
            initiator_id=alice.id,
            key="the-one-key",
            owner_id=alice.id,
        ),
    )

    assert all(isinstance(r, ledger.PostingResult) for r in results), results
    assert len({r.transaction_id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert count_transactions(app, kind="transfer") == 1
    assert state(app, bob.account_id) == (amount, amount)


def test_concurrent_submits_of_one_key_with_different_amounts_post_exactly_one(
    app, requires_postgres
):
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")

    results = race(
        app,
        8,
        lambda index: ledger.post_transfer(
            db.session,
            source_id=alice.account_id,
            destination_id=bob.account_id,
            amount=100 + index,
            initiator_id=alice.id,
            key="the-one-key",
        ),
    )

    posted = [r for r in results if isinstance(r, ledger.PostingResult)]
    conflicts = [r for r in results if isinstance(r, ledger.IdempotencyConflict)]
    assert len(posted) == 1 and len(conflicts) == 7, results
    assert state(app, bob.account_id)[0] == posted[0].amount


def test_racing_transfers_cannot_beat_the_daily_limit(app, requires_postgres):
    alice = make_customer(app, "Alice Able", balance="1000.00")
    bob = make_customer(app, "Bob Baker")
    limits = ledger.Limits(daily=5_000)

    results = race(
        app,
        8,
        lambda index: ledger.post_transfer(
            db.session,
            source_id=alice.account_id,
            destination_id=bob.account_id,
            amount=1_000,
            initiator_id=alice.id,
            key=f"daily-{index}",
            limits=limits,
        ),
    )

    posted = [r for r in results if isinstance(r, ledger.PostingResult)]
    refused = [r for r in results if isinstance(r, ledger.LimitExceeded)]
    assert (len(posted), len(refused)) == (5, 3), results
    assert state(app, bob.account_id)[0] == 5_000


def test_racing_approve_and_reject_decide_a_hold_once(app, requires_postgres):
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    admin = make_admin(app)
    held = send(
        app, alice.account_id, bob.account_id, 6000, limits=ledger.Limits(review_threshold=1)
    )

    def decide(index: int):
        decision = ledger.approve_hold if index % 2 else ledger.reject_hold
        return decision(db.session, held.transaction_id, admin_id=admin.id, reason="race")

    results = race(app, 6, decide)

    decided = [r for r in results if isinstance(r, ledger.PostingResult)]
    assert len(decided) == 1, results
    assert all(isinstance(r, ledger.NotPending) for r in results if r not in decided)
    expected = (4000, 4000) if decided[0].status == "posted" else (10000, 10000)
    assert state(app, alice.account_id) == expected
    with app.app_context():
        assert verify_ledger(db.session).ok
        db.session.remove()
