"""The product's Prometheus metrics: one place that names them all.

Labels carry only bounded, non-personal values: a route is the URL *rule*
(`/accounts/<int:account_id>`), never the path; kinds, outcomes and reasons are codes.
No id, email or account number is ever a label value (tests/app/test_metrics.py).

Under gunicorn the metrics live in PROMETHEUS_MULTIPROC_DIR (see banking.metrics_dir)
and every worker's counts add up at /metrics; without it (development, tests) they live
in this process. Gauges say how processes combine: `livesum` adds the live ones.

The core announces what happens inside it (postings, retries, audit rows) without
knowing about Prometheus (banking.core.observers); `subscribe` turns those announcements
into the counters below, once per process however many apps are built.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.registry import Collector

from banking import metrics_dir

if TYPE_CHECKING:
    from banking.core.audit import Recorded
    from banking.core.ledger import PostingEvent, RetryEvent

# `*_created` series double every counter's lines for a value nothing here graphs.
disable_created_metrics()

HTTP_REQUESTS = Counter(
    "banking_http_requests", "HTTP requests answered.", ["route", "method", "status"]
)
HTTP_LATENCY = Histogram(
    "banking_http_request_duration_seconds",
    "Time to answer a request.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0, 30.0),
)
HTTP_IN_PROGRESS = Gauge(
    "banking_http_requests_in_progress", "Requests being answered.", multiprocess_mode="livesum"
)
DB_POOL_SIZE = Gauge(
    "banking_db_pool_size", "Pooled connections kept open.", multiprocess_mode="livesum"
)
DB_POOL_CAPACITY = Gauge(
    "banking_db_pool_capacity",
    "Connections the pools may open (pool_size + max_overflow).",
    multiprocess_mode="livesum",
)
DB_POOL_CHECKED_OUT = Gauge(
    "banking_db_pool_checked_out", "Connections in use.", multiprocess_mode="livesum"
)
DB_POOL_OVERFLOW = Gauge(
    "banking_db_pool_overflow", "Connections open beyond pool_size.", multiprocess_mode="livesum"
)
LEDGER_POSTINGS = Counter(
    "banking_ledger_postings",
    "Money movements asked of the ledger, by kind and outcome (posted, held, refused); "
    "a refusal's reason is its code.",
    ["kind", "outcome", "reason"],
)
LEDGER_RETRIES = Counter(
    "banking_ledger_retries",
    "Ledger units retried after a deadlock or serialization failure.",
    ["reason"],
)
SIGN_IN_FAILURES = Counter(
    "banking_sign_in_failures", "Failed sign-in attempts (password or code step).", ["reason"]
)
LOCKOUTS = Counter("banking_lockouts", "Sign-ins locked after too many failures.")
RATE_LIMIT_REFUSALS = Counter(
    "banking_rate_limit_refusals", "Requests refused by a rate limit.", ["route"]
)
CACHE_REQUESTS = Counter(
    "banking_cache_requests", "Cache look-ups: hit, miss, or error (read as a miss).", ["result"]
)
TASK_RUNS = Counter("banking_task_runs", "Background task runs.", ["task", "outcome"])
TASK_DURATION = Histogram(
    "banking_task_duration_seconds",
    "Background task run time.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0),
)


def multiprocess_dir() -> str | None:
    """The shared directory, if this process's metrics are stored there.

    prometheus_client chose its storage when it was imported; a variable set later (a
    test importing banking.worker, say) must not make /metrics read an empty directory
    while the values still live in this process.
    """
    if values.ValueClass is values.MutexValue:
        return None
    return metrics_dir.current()


def render(*extra: Collector) -> tuple[bytes, str]:
    """The exposition text: every process's metrics (multiprocess) or this one's, plus
    `extra` collectors read at scrape time."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        for collector in (REGISTRY,):
            registry.register(_Forward(collector))
    for collector in extra:
        registry.register(collector)
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _Forward(Collector):
    """The default registry's metrics inside a scrape's own registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self):
        return self._registry.collect()


def instrument_engine(engine) -> None:
    """Pool gauges for `engine`, kept current by the pool's own checkout/checkin events."""
    from sqlalchemy import event

    pool = engine.pool
    if not hasattr(pool, "overflow"):  # SQLite's pools have no size to saturate
        return
    DB_POOL_SIZE.set(pool.size())
    DB_POOL_CAPACITY.set(pool.size() + max(pool._max_overflow, 0))

    def _sample(*_args) -> None:
        current = engine.pool
        DB_POOL_CHECKED_OUT.set(current.checkedout())
        DB_POOL_OVERFLOW.set(max(current.overflow(), 0))

    event.listen(engine, "checkout", _sample)
    event.listen(engine, "checkin", _sample)


# Subscriptions to the core's announcements ----------------------------------------------
# Sign-in failure reasons the auth service writes; anything else is "other", so a new
# reason can never become an unbounded (or personal) label value.
SIGN_IN_FAILURE_REASONS = frozenset(
    {"unknown_email", "bad_password", "locked_out", "account_locked", "email_unverified"}
)
_subscribed = False
_subscribe_lock = threading.Lock()


def subscribe() -> None:
    """Count the core's postings, retries and sign-in audit rows, once per process.

    Idempotent: tests build many apps in one process, and each subscription made twice
    would count every event twice.
    """
    global _subscribed
    with _subscribe_lock:
        if _subscribed:
            return
        from banking.core import audit, ledger

        ledger.on_posting(count_posting)
        ledger.on_retry(count_retry)
        audit.on_record(count_audit_record)
        _subscribed = True


def count_posting(event: PostingEvent) -> None:
    """A `ledger.PostingEvent`: kind and outcome, and the refusal's code as the reason."""
    LEDGER_POSTINGS.labels(event.kind, str(event.outcome), event.reason).inc()


def count_retry(event: RetryEvent) -> None:
    """A `ledger.RetryEvent` (deadlock, serialization_failure or database_locked)."""
    LEDGER_RETRIES.labels(event.reason).inc()


def count_audit_record(record: Recorded) -> None:
    """An `audit.Recorded`: failed sign-ins (either step) and lockouts are counted."""
    from banking.services import auth_events

    if record.action == auth_events.LOGIN_FAILED:
        reason = record.details.get("reason")
        SIGN_IN_FAILURES.labels(reason if reason in SIGN_IN_FAILURE_REASONS else "other").inc()
    elif record.action == auth_events.TWO_FACTOR_FAILED:
        SIGN_IN_FAILURES.labels("bad_second_factor").inc()
    elif record.action == auth_events.LOCKOUT:
        LOCKOUTS.inc()


def count_cache(result: str) -> None:
    """One cache look-up: "hit", "miss" or "error"."""
    CACHE_REQUESTS.labels(result).inc()
