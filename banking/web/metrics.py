"""/metrics for Prometheus, and the request metrics behind it.

Not public: it answers only clients in METRICS_ALLOWED_NETWORKS or bearing
METRICS_TOKEN, and 404 to anyone else (it does not admit it exists). The figures
read at scrape time (queue depth, failed jobs, the last ledger check, the worker's
heartbeat, whether a beat runs) come from the database and Redis, so every web
process reports the same values.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import time

from flask import Flask, Response, abort, current_app, g, request
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from banking import heartbeat, metrics
from banking.background import DEFAULT_QUEUE
from banking.services import failed_jobs, ledger_checks

log = logging.getLogger(__name__)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def init_app(app: Flask) -> None:
    app.add_url_rule("/metrics", "metrics", metrics_endpoint)
    # First of all before-request hooks: CSRF and Flask-Limiter refuse in theirs, and a
    # request refused before `_start` ran would be missing from every count (the 429s
    # of a rate limit, the 400s of a forged form).
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_count)
    app.teardown_request(_finish)


def _route(req=None) -> str:
    """The URL rule, never the path: `/accounts/<int:account_id>`, not `/accounts/42`."""
    rule = (req if req is not None else request).url_rule
    return rule.rule if rule is not None else "<unmatched>"


def _start() -> None:
    ctx = g._get_current_object()  # once: each proxy access is a lookup, on every request
    ctx.metrics_started = time.perf_counter()
    ctx.metrics_in_progress = True
    metrics.HTTP_IN_PROGRESS.inc()


def _count(response: Response) -> Response:
    started = g.get("metrics_started")
    if started is None:
        return response
    req = request._get_current_object()
    route = _route(req)
    method = req.method if req.method in METHODS else "OTHER"
    status = response.status_code
    children = _children.get((route, method, status))
    if children is None:
        children = _children[(route, method, status)] = (
            metrics.HTTP_REQUESTS.labels(route, method, str(status)),
            metrics.HTTP_LATENCY.labels(route, method),
        )
    children[0].inc()
    children[1].observe(time.perf_counter() - started)
    if status == 429:
        metrics.RATE_LIMIT_REFUSALS.labels(route).inc()
    return response


# The labelled children per (route, method, status): `labels()` validates and looks them
# up under a lock on every call; the set is small (routes x methods x statuses) and a
# child stays valid for the process's life, so each is looked up once.
_children: dict[tuple[str, str, int], tuple] = {}


def _finish(_exc) -> None:
    if g.pop("metrics_in_progress", False):
        metrics.HTTP_IN_PROGRESS.dec()


def allowed() -> bool:
    """A configured bearer token, or a client address in the allowed networks."""
    config = current_app.config
    token = config.get("METRICS_TOKEN")
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header[len("Bearer ") :].encode(), token.encode())
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in config.get("METRICS_NETWORKS", ()))


def metrics_endpoint() -> Response:
    if not allowed():
        abort(404)
    body, content_type = metrics.render(OperationsCollector(current_app._get_current_object()))
    response = Response(body, content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response


class OperationsCollector(Collector):
    """Figures read when Prometheus scrapes; each is skipped (and logged) if unreadable."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self):
        yield from self._safely(self._ledger_check)
        yield from self._safely(self._failed_jobs)
        yield from self._safely(self._background)

    def _safely(self, read):
        try:
            yield from read()
        except Exception as error:  # noqa: BLE001 - a scrape must not fail on one source
            log.warning(
                "metric unreadable",
                extra={"metric": read.__name__, "error_type": type(error).__name__},
            )

    def _ledger_check(self):
        check = ledger_checks.latest()
        if check is None:
            return
        ok = GaugeMetricFamily(
            "banking_ledger_verification_ok", "1 if the last ledger verification passed."
        )
        ok.add_metric([], 1.0 if check.ok else 0.0)
        when = GaugeMetricFamily(
            "banking_ledger_verification_timestamp_seconds",
            "When the last ledger verification finished (Unix time).",
        )
        finished = check.finished_at
        when.add_metric([], _epoch(finished))
        yield ok
        yield when

    def _failed_jobs(self):
        family = GaugeMetricFamily("banking_failed_jobs", "Background jobs that gave up.")
        family.add_metric([], float(failed_jobs.open_count()))
        yield family

    def _background(self):
        depth = heartbeat.queue_depth(DEFAULT_QUEUE)
        if depth is None:  # no broker: tasks run in-process, nothing to watch
            return
        queue = GaugeMetricFamily("banking_queue_depth", "Tasks waiting.", labels=["queue"])
        queue.add_metric([DEFAULT_QUEUE], float(depth))
        yield queue
        beat = GaugeMetricFamily("banking_beat_up", "1 while a beat scheduler holds its lock.")
        beat.add_metric([], 1.0 if heartbeat.beat_running() else 0.0)
        yield beat
        last = heartbeat.last_worker()
        if last is not None:
            seen = GaugeMetricFamily(
                "banking_worker_heartbeat_timestamp_seconds",
                "When a worker last ran the heartbeat task (Unix time).",
            )
            seen.add_metric([], last)
            yield seen


def _epoch(moment) -> float:
    from banking.core.models.base import as_utc

    return as_utc(moment).timestamp()
