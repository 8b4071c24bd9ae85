"""The Celery entry point: `celery -A banking.worker worker` and `celery -A banking.worker beat`.

It builds the Flask app from APP_ENV like wsgi.py does (the same config, the same
refusals), so the worker's tasks run with the web's settings and services. The worker's
own task metrics (runs, outcomes, durations) are served on WORKER_METRICS_BIND by its
main process, adding up what its pool processes wrote.
"""

import os
import sys

from banking import metrics_dir

metrics_dir.prepare("worker")  # before prometheus_client is imported (see metrics_dir)

from celery.signals import worker_process_shutdown, worker_ready  # noqa: E402

from config import ConfigError  # noqa: E402

try:
    from banking.app import create_app

    flask_app = create_app()
except ConfigError as exc:
    print(f"banking worker: refusing to start: {exc}", file=sys.stderr)  # noqa: T201
    sys.exit(3)

celery = flask_app.extensions["celery"]


@worker_ready.connect
def serve_metrics(**_kwargs) -> None:
    bind = flask_app.config.get("WORKER_METRICS_BIND")
    if not bind:
        return
    from prometheus_client import CollectorRegistry, multiprocess, start_http_server

    host, _, port = bind.rpartition(":")
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    start_http_server(int(port), addr=host or "127.0.0.1", registry=registry)


@worker_process_shutdown.connect
def forget_process(**_kwargs) -> None:
    metrics_dir.mark_process_dead(os.getpid())
