"""gunicorn settings: sizing and timeouts from the environment, logs as JSON lines.

Start with `gunicorn -c gunicorn.conf.py wsgi:app`. Every value is read through
`config.gunicorn_setting`, so `.env` works here as it does for the app. Each worker has
its own SQLAlchemy pool: keep workers × (DB_POOL_SIZE + DB_MAX_OVERFLOW) below
PostgreSQL's max_connections.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

# gunicorn executes this file by path; make `config` and `banking` importable from here.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gunicorn import glogging

from banking import metrics_dir
from config import cpu_count, gunicorn_setting

# Before any worker imports prometheus_client: every worker writes its metrics here and
# /metrics adds them up (emptied now, so a restart does not count the last run's twice).
metrics_dir.prepare("web")


def _as_bool(value: str | bool) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


bind = [gunicorn_setting("GUNICORN_BIND", "127.0.0.1:8000")]
# Sizing, from the benchmark (bench/FINDINGS.md, "Signed-in pages (issue 15)"; 2 CPUs,
# PostgreSQL and Redis on the host). Defaults: SYNC workers, 2 × CPUs + 1 of them.
# - Tail latency decides it. A page is CPU-bound Python between short waits on Redis or
#   PostgreSQL. gthread workers share one GIL between their threads, so a page waits
#   behind its siblings: at 16 connections the dashboard's p99 was 198–351 ms with
#   3 workers × 4 threads, and 168 ms even with 5 workers × 1 thread (a gthread worker
#   keeps accepting connections while its one thread is busy and queues them inside the
#   process). 5 sync workers met p99 < 100 ms (64–94 ms in two full runs; 19–26 ms in
#   every run since the pages are cached, eighth and ninth sessions): a sync worker
#   takes a connection only when idle, so the kernel's listen queue hands each request to
#   whichever worker is free.
# - CPUs + 1 workers were measured too (bench/FINDINGS.md, seventh session): with
#   PostgreSQL and Redis on the same 2 CPUs, 3 sync workers made ~17 % more HTTP transfers
#   a second than 5 (351 vs 296/s, 3.9 vs 4.9 ms of worker CPU per transfer: fewer
#   processes switching on the CPUs) and the minimal Flask baseline ~11 % more, with the
#   dashboard's ratio to that baseline within noise. The default stays 2 × CPUs + 1: in
#   production PostgreSQL and Redis are other hosts, every statement then waits a network
#   round trip, and the extra workers keep the CPUs busy through those waits. A host that
#   runs the database beside the app may set WEB_CONCURRENCY to CPUs + 1.
# - The CSV export streams from a sync worker too, and a sync worker cannot heartbeat
#   mid-response, so `timeout` caps the longest download: 1,000,000 rows take ~10 s at
#   the measured ~84,000–105,000 rows/s (less after the COPY-based export), inside the
#   30 s default with a 3× margin. An export that must run longer belongs to the
#   background worker; raise GUNICORN_TIMEOUT rather than switching worker class.
# - Memory: ~97 MB RSS per worker, so 5 workers ≈ 0.5 GB. A deployment that must run in
#   less can use GUNICORN_THREADS=4 WEB_CONCURRENCY=3 (gthread: ~40 % less memory, worse
#   page tails).
# - Database pool: a sync worker uses one connection at a time; connections are opened
#   on demand, so 5 workers hold ~5 (DB_POOL_SIZE caps each worker, not the total).
#   With gthread, keep DB_POOL_SIZE >= threads and workers × (DB_POOL_SIZE +
#   DB_MAX_OVERFLOW) below PostgreSQL's max_connections (100 by default).
workers = gunicorn_setting("WEB_CONCURRENCY", 2 * cpu_count() + 1, cast=int)
threads = gunicorn_setting("GUNICORN_THREADS", 1, cast=int)
worker_class = gunicorn_setting("GUNICORN_WORKER_CLASS", "gthread" if threads > 1 else "sync")
timeout = gunicorn_setting("GUNICORN_TIMEOUT", 30, cast=int)
# SIGTERM lets in-flight requests finish for this long (compose waits 40 s before SIGKILL).
graceful_timeout = gunicorn_setting("GUNICORN_GRACEFUL_TIMEOUT", 30, cast=int)
keepalive = gunicorn_setting("GUNICORN_KEEPALIVE", 5, cast=int)
preload_app = gunicorn_setting("GUNICORN_PRELOAD", "false", cast=_as_bool)
max_requests = gunicorn_setting("GUNICORN_MAX_REQUESTS", 0, cast=int)
max_requests_jitter = max_requests // 10
# The app writes one access line per request itself (with route, user and request id);
# gunicorn's own access line is off unless GUNICORN_ACCESS_LOG=true.
gunicorn_access_log = gunicorn_setting("GUNICORN_ACCESS_LOG", "false", cast=_as_bool)
accesslog = None
errorlog = "-"


class _AppLogger(glogging.Logger):
    """gunicorn's logger, told that its access line is off when it is off.

    gunicorn counts the access log as on whenever a logconfig_dict is set (ours is, for
    the JSON lines), so it would build every response's atoms (a dict of every header
    and environ entry, ~3 % of a cached page's CPU) only for a WARNING-level logger to
    drop the line.
    """

    def _compute_access_log_enabled(self) -> bool:
        return gunicorn_access_log and super()._compute_access_log_enabled()


logger_class = _AppLogger

# Every request writes an access line, and the JSON lines carry none of the record's
# caller, thread or process fields: the logging HOWTO's "Optimization" switches skip
# computing them (a stack walk and three look-ups per line, ~20 % of a line's CPU).
# Set here, for the web servers only: a Celery worker's own log format names its process.
logging._srcfile = None
logging.logThreads = False
logging.logProcesses = False
logging.logMultiprocessing = False
loglevel = gunicorn_setting("LOG_LEVEL", "info").lower()
forwarded_allow_ips = gunicorn_setting("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proc_name = "banking"
# gunicorn 27's control socket lives at one fixed path per user; several servers on a
# host (tests, benchmarks) would fight over it, and nothing here uses it.
control_socket_disable = not gunicorn_setting("GUNICORN_CONTROL_SOCKET", "false", cast=_as_bool)

# gunicorn's own lines (boot, worker exits, timeouts) in the app's JSON format, on stdout.
_json_handler = {
    "class": "logging.StreamHandler",
    "stream": "ext://sys.stdout",
    "formatter": "json",
    "filters": ["request_id", "redact"],
}
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "banking.logging.RequestIdFilter"},
        "redact": {"()": "banking.logging.get_redaction_filter"},
    },
    "formatters": {
        "json": {"()": "banking.logging.BankingJsonFormatter", "fmt": "%(message)s"},
    },
    "handlers": {"json": _json_handler},
    "root": {"level": "INFO", "handlers": []},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["json"], "propagate": False},
        "gunicorn.access": {
            "level": "INFO" if gunicorn_access_log else "WARNING",
            "handlers": ["json"],
            "propagate": False,
        },
    },
}


def post_fork(server, worker) -> None:
    """Give each worker fresh database connections when the app was loaded in the master.

    A connection inherited across fork would be shared by two processes and corrupt
    both sessions; disposing the pool (without closing the parent's sockets) avoids it.
    """
    app = getattr(server.app, "callable", None)
    if app is None:  # not preloaded: the worker imports the app itself
        return
    from banking.database import dispose_engines

    dispose_engines(app)


def child_exit(server, worker) -> None:
    """A worker is gone: drop its live gauges (in-flight requests, pool use)."""
    metrics_dir.mark_process_dead(worker.pid)


def on_starting(server) -> None:
    """Refuse an unsafe configuration once, in the master, before any worker is forked.

    Without this each worker would print the reason and gunicorn would report a vaguer
    "Worker failed to boot"; wsgi.py keeps the same check for `flask` and direct imports.
    """
    from config import ConfigError, load_config

    try:
        load_config()
    except ConfigError as exc:
        print(f"banking: refusing to start: {exc}", file=sys.stderr)  # noqa: T201
        sys.exit(3)
