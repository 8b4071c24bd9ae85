"""The ledger as a library: `post_transfer` called straight from Python, no HTTP, no Flask.

What the posting path itself costs, against pgbench's raw-SQL transfer in the same run:
P processes (multiprocessing spawn), each with its own engine and T threads, each thread
its own Session; every thread posts 1-cent transfers from its customer's account to a
random other one of the set, with that customer's limits (config defaults: per-transfer,
daily, review threshold) and a fresh idempotency key each time. A start barrier opens
the measured window for everyone at once.

`posting_latency` compares one account with a long history (1,000,000 entries) to one
with a short one: posting must not get slower as an account's history grows.
"""

from __future__ import annotations

import multiprocessing
import random
import threading
import time
import uuid
from collections import Counter

from bench.stats import latency_summary_ms


def _limits():
    from banking.core.ledger import Limits
    from config import Config

    config = Config()
    return Limits(
        per_transfer=config.TRANSFER_LIMIT_CENTS,
        daily=config.DAILY_LIMIT_CENTS,
        review_threshold=config.REVIEW_THRESHOLD_CENTS,
        hold_days=config.HOLD_EXPIRY_DAYS,
    )


def _engine(database_url: str, pool_size: int):
    from sqlalchemy import create_engine

    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    return create_engine(url, pool_size=pool_size, max_overflow=0)


def _process(args: tuple, barrier, results) -> None:
    try:
        results.put(_drive(*args, barrier=barrier))
    except BaseException as exc:
        barrier.abort()  # the others must not wait for a process that will never come
        results.put({"latencies": [], "errors": {}, "failure": f"{type(exc).__name__}: {exc}"})


def _drive(
    database_url: str,
    users: list[dict],
    all_ids: list[int],
    threads: int,
    duration_s: float,
    seed: int,
    *,
    barrier,
) -> dict:
    from sqlalchemy.orm import Session

    from banking.core.ledger import post_transfer

    engine = _engine(database_url, threads)
    limits = _limits()
    latencies: list[float] = []
    errors: Counter = Counter()
    lock = threading.Lock()
    local_barrier = threading.Barrier(threads + 1)

    def run(user: dict, thread_seed: int) -> None:
        rng = random.Random(thread_seed)
        mine: list[float] = []
        failed: Counter = Counter()
        session = Session(engine)
        source = user["account_id"]
        others = [i for i in all_ids if i != source]
        local_barrier.wait()
        deadline = started[0] + duration_s
        while time.time() < deadline:
            began = time.perf_counter()
            try:
                post_transfer(
                    session,
                    source_id=source,
                    destination_id=rng.choice(others),
                    amount=1,
                    initiator_id=user["user_id"],
                    owner_id=user["user_id"],
                    key=str(uuid.uuid4()),
                    memo="bench",
                    limits=limits,
                )
            except Exception as exc:  # counted, the run goes on
                failed[type(exc).__name__] += 1
                continue
            mine.append(time.perf_counter() - began)
        session.close()
        with lock:
            latencies.extend(mine)
            errors.update(failed)

    started = [0.0]
    workers = [
        threading.Thread(target=run, args=(users[i % len(users)], seed * 1000 + i))
        for i in range(threads)
    ]
    for worker in workers:
        worker.start()
    # Warm the pool and the statement caches outside the window, then wait for the others.
    barrier.wait(timeout=120)
    started[0] = time.time()
    cpu = time.process_time()
    local_barrier.wait()
    for worker in workers:
        worker.join()
    cpu = time.process_time() - cpu
    engine.dispose()
    return {"latencies": latencies, "errors": dict(errors), "cpu_s": cpu}


def run_library_posting(
    database_url: str,
    users: list[dict],
    *,
    threads: int,
    processes: int,
    duration_s: float,
    before_window=None,
) -> dict:
    """`processes` × `threads` posting threads for `duration_s`; transfers/s and latencies.

    Each thread is one customer (user_id, account_id) sending from their account to a
    random other account of `users`. Errors of any kind are counted by class name.
    `before_window` (if given) runs while the processes start; the window opens when
    it has returned and every process is ready (this process is one of the barrier's).
    """
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes + 1)
    results = context.Queue()
    all_ids = [user["account_id"] for user in users]
    total = processes * threads
    chunks = [
        [users[(p * threads + t) % len(users)] for t in range(threads)] for p in range(processes)
    ]
    workers = [
        context.Process(
            target=_process,
            args=((database_url, chunks[p], all_ids, threads, duration_s, p + 1), barrier, results),
        )
        for p in range(processes)
    ]
    for worker in workers:
        worker.start()
    try:
        if before_window:
            before_window()
        barrier.wait(timeout=120)
    except threading.BrokenBarrierError:
        pass  # a process failed before the window: its failure is in `results`
    except BaseException:
        barrier.abort()  # the processes must not wait for a window that never opens
        raise
    collected = [results.get(timeout=duration_s + 180) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    failures = [c["failure"] for c in collected if "failure" in c]
    if failures:
        raise RuntimeError(f"library posting failed: {failures[0]}")
    latencies = [x for c in collected for x in c["latencies"]]
    errors: Counter = Counter()
    for c in collected:
        errors.update(c["errors"])
    transfers = len(latencies)
    return {
        "threads": threads,
        "processes": processes,
        "clients": total,
        "accounts": len(users),
        "transfers": transfers,
        "tps": round(transfers / duration_s, 1),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "cpu_ms_per_transfer": round(1000 * sum(c["cpu_s"] for c in collected) / transfers, 3)
        if transfers
        else None,
        **latency_summary_ms(latencies),
    }


def posting_latency(
    database_url: str,
    users: dict[str, dict],
    destinations: list[int],
    n: int,
    rounds: int = 10,
    before_window=None,
) -> dict:
    """`n` sequential transfers out of each named user's account (one thread): latencies.

    Run for the long-history ("big") and the short-history ("small") account, alternating
    in `rounds` batches so that a burst of load on the shared machine hits both alike;
    the ratio of their p50s is the figure (posting reads only the locked rows, never the
    history, so it should be ~1).
    """
    from sqlalchemy.orm import Session

    from banking.core.ledger import post_transfer

    engine = _engine(database_url, 1)
    limits = _limits()
    rng = random.Random(7)
    latencies: dict[str, list[float]] = {name: [] for name in users}

    def post(session, user: dict) -> float:
        began = time.perf_counter()
        post_transfer(
            session,
            source_id=user["account_id"],
            destination_id=rng.choice(destinations),
            amount=1,
            initiator_id=user["user_id"],
            owner_id=user["user_id"],
            key=str(uuid.uuid4()),
            memo="bench",
            limits=limits,
        )
        return time.perf_counter() - began

    with Session(engine) as session:
        for user in users.values():  # warm the pool and the prepared statements
            for _ in range(10):
                post(session, user)
        if before_window:
            before_window()
        for _ in range(rounds):
            for name, user in users.items():
                latencies[name] += [post(session, user) for _ in range(max(1, n // rounds))]
    engine.dispose()
    result: dict = {
        name: {"transfers": len(v), **latency_summary_ms(v)} for name, v in latencies.items()
    }
    if "big" in result and "small" in result:
        big, small = result["big"]["p50_ms"], result["small"]["p50_ms"]
        result["p50_ratio_big_over_small"] = round(big / small, 3) if big and small else None
    return result
