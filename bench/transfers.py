"""The form-flow load client: N processes, each a signed-in customer posting transfers.

Each process has its own http.client connection and session cookie, signs in over
HTTP, then until the deadline posts the transfer confirmation (the POST that moves
the money) with a fresh idempotency key each time, exactly as the confirm page's
form would, and times that POST. A 302 to the transfer result page is a success;
anything else is an error (and its status is counted).
"""

from __future__ import annotations

import multiprocessing
import random
import time
import uuid
from collections import Counter

from bench.stats import latency_summary_ms
from bench.web import find_form, sign_in

CONFIRM_PATH = "/transfers/confirm"


def _worker(args: tuple, barrier, results) -> None:
    try:
        results.put(_drive(args, barrier))
    except BaseException as exc:
        barrier.abort()  # the others must not wait for a client that will never come
        results.put({"latencies": [], "errors": {}, "failure": f"{type(exc).__name__}: {exc}"})


def _drive(args: tuple, barrier) -> dict:
    base_url, email, password, source_id, destinations, duration_s, seed = args
    rng = random.Random(seed)
    session = sign_in(base_url, email, password)
    # The CSRF token belongs to the session: read it once from a page with a form.
    status, _headers, body = session.get("/transfers/pay")
    if status != 200:
        raise RuntimeError(f"GET /transfers/pay answered {status}")
    csrf = find_form(body.decode(), with_field="csrf_token").fields["csrf_token"]
    latencies: list[float] = []
    errors: Counter = Counter()
    barrier.wait(timeout=120)  # every client signed in: the measured window starts now
    deadline = time.time() + duration_s
    while time.time() < deadline:
        fields = {
            "csrf_token": csrf,
            "flow": "pay",
            "from_account": str(source_id),
            "to_number": rng.choice(destinations),
            "amount": "0.01",
            "memo": "bench",
            "idempotency_key": str(uuid.uuid4()),
        }
        began = time.perf_counter()
        try:
            status, headers, _body = session.post(CONFIRM_PATH, fields)
        except OSError as exc:
            errors[type(exc).__name__] += 1
            continue
        elapsed = time.perf_counter() - began
        if status == 302 and "/transfers/" in headers.get("Location", ""):
            latencies.append(elapsed)
        else:
            errors[str(status)] += 1
    session.close()
    return {"latencies": latencies, "errors": dict(errors)}


def plan_pairs(users: list[dict], clients: int) -> list[tuple[dict, list[str]]]:
    """For each client: the customer it signs in as, and the account numbers it pays.

    Client i is user i mod len(users); it pays any of the other users' accounts (pure).
    """
    numbers = [user["number"] for user in users]
    plan = []
    for index in range(clients):
        user = users[index % len(users)]
        plan.append((user, [n for n in numbers if n != user["number"]]))
    return plan


def run_transfer_load(
    base_url: str, users: list[dict], password: str, *, clients: int, duration_s: float
) -> dict:
    """Drive transfers from `clients` processes for `duration_s`; figures for the report."""
    context = multiprocessing.get_context("spawn")  # a clean interpreter per client
    barrier = context.Barrier(clients)
    queue = context.Queue()
    processes = [
        context.Process(
            target=_worker,
            args=(
                (base_url, user["email"], password, user["account_id"], numbers, duration_s, i),
                barrier,
                queue,
            ),
            daemon=True,
        )
        for i, (user, numbers) in enumerate(plan_pairs(users, clients))
    ]
    for process in processes:
        process.start()
    try:
        results = [queue.get(timeout=duration_s + 180) for _ in processes]
    except BaseException:
        for process in processes:  # interrupted or stuck: no client outlives the run
            process.kill()
        raise
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
    failures = [r["failure"] for r in results if "failure" in r]
    if failures:
        raise RuntimeError(f"{len(failures)} transfer client(s) failed: {failures[0]}")
    latencies = [value for result in results for value in result["latencies"]]
    errors: Counter = Counter()
    for result in results:
        errors.update(result["errors"])
    if not latencies and not errors:
        raise RuntimeError("the transfer clients made no request at all")
    return {
        "clients": clients,
        "accounts": len(users),
        "duration_s": duration_s,
        "transfers": len(latencies),
        "tps": round(len(latencies) / duration_s, 1),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        **latency_summary_ms(latencies),
    }
