"""`python -m tests.reliability.load '<json>'`: the load generator, in its own process.

Each client thread signs in as one of the customers (several clients share a customer,
so a few accounts are hot rows) and then submits transfers until the shared budget of
submissions is spent or the deadline passes:

* most submissions POST the confirm step directly with a fresh idempotency key, exactly
  as the confirm page's form would (cheap, so the machine's two cores go to the server);
* every `dup_every`-th goes through the whole browser flow (entry form -> confirm page)
  and then submits the confirm form twice at once from two connections of the same
  session, plus once more afterwards: one form, one key, three submissions;
* every `page_every`-th is a dashboard GET (pages must keep answering during faults).

It writes a JSON report to `out` (figures plus every duplicated key with the
transaction ids its submissions were sent to) and touches `ready` once every client
has signed in, so a fault test knows when to strike.

Nothing is hidden from the report: a duplicate flow whose entry page or entry POST
fails (a 5xx, a redirect, no answer) is a `flow_errors` entry that used its budget
slot; only a transfer the entry form refused with a reason (e.g. insufficient funds)
gives the slot back. Requests resent after an idle keep-alive connection dropped are
counted (`keepalive_resends`).
"""

from __future__ import annotations

import http.client
import json
import random
import re
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

from tests.reliability.support import Browser, sign_in
from tests.support.transfers import form_fields

RESULT = re.compile(r"/transfers/(\d+)$")


class Shared:
    def __init__(self, budget: int, deadline_s: float) -> None:
        self.lock = threading.Lock()
        self.budget = budget
        self.deadline_s = deadline_s
        self.deadline = float("inf")
        self.stop_file: Path | None = None  # the run ends early once this file exists
        self.statuses: Counter = Counter()
        self.errors: Counter = Counter()
        self.page_statuses: Counter = Counter()
        self.latencies: list[float] = []
        self.duplicates: list[dict] = []
        self.requests = 0
        self.submissions = 0
        self.failures: list[str] = []
        self.unfriendly_5xx: list[str] = []  # a 5xx that isn't the friendly 503 page
        self.confirm_errors = 0  # confirm submissions that got no answer (cut connection)
        self.flow_errors: Counter = Counter()  # "GET /transfers/pay -> 503": a failed step
        self.resends = 0
        # Transaction ids the server named in a success redirect: each must exist afterwards
        # (a "sent" answer for money that never moved is the worst lie a bank can tell).
        self.confirmed_ids: set[int] = set()
        self.redirected_elsewhere: Counter = Counter()  # a 302 that is not a transfer result

    def take(self) -> bool:
        with self.lock:
            if self.submissions >= self.budget or time.monotonic() > self.deadline:
                return False
            if self.stop_file and self.stop_file.exists():
                return False
            self.submissions += 1
            return True


def _timed(shared: Shared, browser: Browser, method: str, path: str, fields=None):
    began = time.perf_counter()
    try:
        status, headers, body = browser.request(method, path, fields)
    except (OSError, http.client.HTTPException) as exc:
        with shared.lock:
            shared.requests += 1
            shared.errors[type(exc).__name__] += 1
        time.sleep(0.05)  # a refused connect returns at once: don't spin on a stopped server
        return None, {}, "", time.perf_counter() - began
    with shared.lock:
        shared.requests += 1
        if status >= 500 and (status != 503 or "briefly unavailable" not in body):
            shared.unfriendly_5xx.append(f"{method} {path}: {status} {body[:300]}")
    return status, headers, body, time.perf_counter() - began


def _confirm(shared: Shared, browser: Browser, fields: dict) -> int | None:
    """One submission of the confirm form; the transaction id it went to, if any."""
    status, headers, _body, elapsed = _timed(shared, browser, "POST", "/transfers/confirm", fields)
    if status is None:
        with shared.lock:
            shared.confirm_errors += 1
        return None
    with shared.lock:
        shared.statuses[status] += 1
        if status == 302:
            shared.latencies.append(elapsed)
    if status != 302:
        return None
    location = headers.get("Location", "")
    match = RESULT.search(location)
    with shared.lock:
        if match:
            shared.confirmed_ids.add(int(match.group(1)))
        else:
            shared.redirected_elsewhere[location.split("?", 1)[0]] += 1
    return int(match.group(1)) if match else None


def _give_back(shared: Shared) -> None:
    """Return a budget slot no confirm was sent for, so the run sends as many as asked."""
    with shared.lock:
        shared.submissions -= 1


def _flow_failed(shared: Shared, step: str, status: int | None) -> None:
    """A step of the duplicate flow failed: an error in the report, and the slot stays used."""
    with shared.lock:
        shared.flow_errors[f"{step} -> {status or 'no answer'}"] += 1


def _duplicate(shared: Shared, browser: Browser, me: dict, others: list[dict], rng) -> None:
    """The whole flow, then the same confirm form submitted three times."""
    status, _, html, _ = _timed(shared, browser, "GET", "/transfers/pay")
    if status != 200:
        _flow_failed(shared, "GET /transfers/pay", status)
        return
    entry = form_fields(html, "/transfers/pay")
    entry.update(
        from_account=str(me["account_id"]),
        payee="",
        account_number=rng.choice(others)["number"],
        amount=f"{rng.randint(1, 500) / 100:.2f}",
        memo="duplicate test",
    )
    status, _, html, _ = _timed(shared, browser, "POST", "/transfers/pay", entry)
    if status == 400 and 'class="field-error' in html:
        _give_back(shared)  # refused at entry with a reason (e.g. funds): nothing submitted
        return
    fields = form_fields(html, "/transfers/confirm") if status == 200 else None
    if not fields:
        _flow_failed(shared, "POST /transfers/pay", status)
        return
    twin = browser.clone()
    ids: list[int | None] = [None, None, None]

    def second() -> None:
        ids[1] = _confirm(shared, twin, fields)

    thread = threading.Thread(target=second)
    thread.start()
    ids[0] = _confirm(shared, browser, fields)
    thread.join()
    twin.close()
    with shared.lock:
        shared.resends += twin.resends
    ids[2] = _confirm(shared, browser, fields)
    with shared.lock:
        shared.submissions += 2  # three submissions for the one budget slot taken
        shared.duplicates.append(
            {"key": fields["idempotency_key"], "amount": fields["amount"], "ids": ids}
        )


def client(index: int, spec: dict, shared: Shared, signed_in: threading.Barrier) -> None:
    try:
        _client(index, spec, shared, signed_in)
    except Exception as exc:
        signed_in.abort()  # the others must not wait for a client that never signed in
        with shared.lock:
            shared.failures.append(f"client {index}: {type(exc).__name__}: {exc}")


def _client(index: int, spec: dict, shared: Shared, signed_in: threading.Barrier) -> None:
    rng = random.Random(spec.get("seed", 1) * 1000 + index)
    customers = spec["customers"]
    me = customers[index % len(customers)]
    others = [c for c in customers if c is not me]
    browser = Browser(
        spec["port"],
        timeout=spec.get("timeout", 30),
        host=spec.get("host", "127.0.0.1"),
        headers=spec.get("headers"),
    )
    try:
        _submit_until_done(spec, shared, signed_in, browser, me, others, rng)
    finally:
        with shared.lock:
            shared.resends += browser.resends


def _submit_until_done(spec, shared, signed_in, browser, me, others, rng) -> None:
    sign_in(browser, me["email"])
    csrf = browser.csrf("/transfers/pay")
    signed_in.wait(timeout=300)
    step = 0
    while shared.take():
        step += 1
        if spec.get("page_every") and step % spec["page_every"] == 0:
            status, _, _, _ = _timed(shared, browser, "GET", "/")
            with shared.lock:
                shared.page_statuses[status or "error"] += 1
        if spec.get("dup_every") and step % spec["dup_every"] == 0:
            _duplicate(shared, browser, me, others, rng)
            continue
        fields = {
            "csrf_token": csrf,
            "flow": "pay",
            "from_account": str(me["account_id"]),
            "to_number": rng.choice(others)["number"],
            "amount": f"{rng.randint(1, 2000) / 100:.2f}",
            "memo": "load",
            "idempotency_key": str(uuid.uuid4()),
        }
        _confirm(shared, browser, fields)
    browser.close()


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run(spec: dict) -> dict:
    clients = spec["clients"]
    shared = Shared(spec.get("submissions", 10**9), spec.get("duration", 10**9))
    ready = Path(spec["ready"]) if spec.get("ready") else None
    shared.stop_file = Path(spec["stop"]) if spec.get("stop") else None

    started: list[float] = []

    def all_signed_in() -> None:
        started.append(time.monotonic())
        shared.deadline = started[0] + shared.deadline_s
        if ready:
            ready.write_text("ready")

    barrier = threading.Barrier(clients, action=all_signed_in)
    threads = [
        threading.Thread(target=client, args=(i, spec, shared, barrier), daemon=True)
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started[0] if started else 0.0
    ok = len(shared.latencies)
    return {
        "clients": clients,
        "customers": len(spec["customers"]),
        "requests": shared.requests,
        # Every budget slot ends as a confirm answer, a confirm with no answer, or a
        # failed duplicate-flow step (refusals at entry gave theirs back).
        "submissions": (
            sum(shared.statuses.values()) + shared.confirm_errors + sum(shared.flow_errors.values())
        ),
        "budget_used": shared.submissions,
        "transfers_ok": ok,
        "seconds": round(seconds, 1),
        "transfers_per_s": round(ok / seconds, 1) if seconds else 0,
        "p50_ms": round(percentile(shared.latencies, 0.50) * 1000, 1),
        "p99_ms": round(percentile(shared.latencies, 0.99) * 1000, 1),
        "statuses": {str(k): v for k, v in shared.statuses.items()},
        "page_statuses": {str(k): v for k, v in shared.page_statuses.items()},
        "errors": dict(shared.errors),
        "flow_errors": dict(shared.flow_errors),
        "keepalive_resends": shared.resends,
        "duplicates": shared.duplicates,
        "confirmed_transfers": len(shared.confirmed_ids),
        "confirmed_ids": sorted(shared.confirmed_ids),
        "redirected_elsewhere": dict(shared.redirected_elsewhere),
        "failures": shared.failures,
        "unfriendly_5xx": shared.unfriendly_5xx[:20],
    }


if __name__ == "__main__":
    spec = json.loads(sys.argv[1])
    report = run(spec)
    Path(spec["out"]).write_text(json.dumps(report))
