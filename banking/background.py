"""The Celery app behind the worker, one per Flask app, and `enqueue` for the services.

Each Flask app gets its own Celery app (`app.extensions["celery"]`) configured from its
config, with a task class that runs every task inside that app's context. Services hand
work over with `enqueue(name, ...)`, which looks the Celery app up on `current_app`: the
testing app runs tasks eagerly, the production one sends them to Redis, and neither can
pick up the other's settings (as a process-wide default Celery app would, once a test
builds a second app).

Without a broker (development, tests) tasks run eagerly, in-process: the embedded
default needs no server. With one, a task is acknowledged only after it finished
(`acks_late`), and one whose worker process died is handed to another worker
(`reject_on_worker_lost`), so tasks must be (and are) idempotent.
"""

from __future__ import annotations

import logging
import smtplib
import time
from typing import Any

from celery import Celery, Task
from celery.exceptions import Retry
from flask import Flask, current_app, has_app_context
from sqlalchemy.exc import DBAPIError

from banking import metrics

log = logging.getLogger(__name__)

DEFAULT_QUEUE = "banking"
# Failures worth another try: SMTP down or refusing, the network, a database restart.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    smtplib.SMTPException,
    OSError,
    DBAPIError,
)


class AppTask(Task):
    """A task that runs in its Flask app's context, retries transient failures with
    exponential backoff (capped, jittered), and ends in the failed-jobs list when it gives
    up. `flask_app` is bound per Celery app by `init_app`."""

    abstract = True
    flask_app: Flask | None = None
    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = TRANSIENT_ERRORS
    retry_backoff = 2
    retry_jitter = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        outcome = "failed"
        try:
            if has_app_context() and current_app._get_current_object() is self.flask_app:
                result = self.run(*args, **kwargs)  # eager: inside the request that queued it
            else:
                with self.flask_app.app_context():
                    result = self.run(*args, **kwargs)
            outcome = "succeeded"
            return result
        except Retry:
            outcome = "retried"
            raise
        except TRANSIENT_ERRORS:
            outcome = "retried" if self.request.retries < self.max_retries else "failed"
            raise
        finally:
            metrics.TASK_RUNS.labels(self.name, outcome).inc()
            metrics.TASK_DURATION.labels(self.name).observe(time.perf_counter() - started)

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        """Given up (retries exhausted, or not retryable): keep it for the admin."""
        from banking.services import failed_jobs

        log.error(
            "task failed for good",
            extra={"task": self.name, "task_id": task_id, "error_type": type(exc).__name__},
        )
        def record() -> None:
            failed_jobs.record_failure(
                task_id=task_id,
                task_name=self.name,
                args=list(args or ()),
                kwargs=dict(kwargs or {}),
                error_type=type(exc).__name__,
                attempts=self.request.retries + 1,
            )

        try:
            if has_app_context() and current_app._get_current_object() is self.flask_app:
                record()  # eager: the request's context (and database) is this app's
            else:
                with self.flask_app.app_context():
                    record()
        except Exception as error:  # noqa: BLE001 - the log line above already says it failed
            log.error("failed job not recorded", extra={"error_type": type(error).__name__})


def celery_settings(config: dict) -> dict[str, Any]:
    broker = config.get("CELERY_BROKER_URL")
    return {
        "broker_url": broker or "memory://",
        "result_backend": None,  # tasks report through the database, not results
        "task_ignore_result": True,
        "task_always_eager": not broker,
        # Run eagerly, a task still never fails the request that queued it: like a real
        # worker's failure it is logged and kept in the failed-jobs list.
        "task_eager_propagates": False,
        "task_default_queue": DEFAULT_QUEUE,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "worker_hijack_root_logger": False,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {
            "visibility_timeout": int(config.get("CELERY_VISIBILITY_TIMEOUT", 3600)),
        },
        "timezone": "UTC",
        "enable_utc": True,
        # One beat for the whole deployment, however many hosts start one: RedBeat keeps
        # the schedule and a lock in Redis, and only the lock holder sends.
        "beat_scheduler": "redbeat.RedBeatScheduler",
        "redbeat_redis_url": broker,
        # Said outright: otherwise RedBeat borrows broker_transport_options (the broker's
        # visibility timeout, not a Redis client option) and warns at every start.
        "redbeat_redis_options": {},
        "redbeat_key_prefix": "banking:redbeat",
        "redbeat_lock_timeout": 90,
        "beat_max_loop_interval": 15,
    }


def init_app(app: Flask) -> Celery:
    """Create the app's Celery app (tasks are registered by `banking.tasks.register`)."""
    task_class = type(
        "BankingTask",
        (AppTask,),
        {
            "flask_app": app,
            # Eagerly (no broker) a retry would run inline and keep the request waiting:
            # one attempt, then the failed-jobs list.
            "max_retries": int(app.config.get("TASK_MAX_RETRIES", 8))
            if app.config.get("CELERY_BROKER_URL")
            else 0,
            "retry_backoff_max": int(app.config.get("TASK_RETRY_BACKOFF_MAX", 600)),
        },
    )
    celery = Celery(app.import_name, task_cls=task_class, set_as_current=False)
    celery.conf.update(celery_settings(app.config))
    app.extensions["celery"] = celery
    return celery


def enqueue(name: str, *args: Any, **kwargs: Any) -> None:
    """Hand task `name` to the worker (or run it now, without a broker)."""
    celery: Celery = current_app.extensions["celery"]
    # Celery logs a task's arguments when it fails; an email address is one. The logs get
    # their shape only (the failed-jobs list keeps the values, to retry with).
    celery.tasks[name].apply_async(
        args=args,
        kwargs=kwargs,
        argsrepr=f"<{len(args)} argument(s)>",
        kwargsrepr=f"<{', '.join(sorted(kwargs)) or 'no keywords'}>",
    )


def eager(app: Flask | None = None) -> bool:
    celery: Celery = (app or current_app).extensions["celery"]
    return bool(celery.conf.task_always_eager)
