"""The worker tier: real `celery worker` / `celery beat` processes against Redis and PostgreSQL.

Every test here needs TEST_DATABASE_URL (PostgreSQL: the worker is a separate process,
so it cannot share the in-memory SQLite) and TEST_REDIS_URL (the broker). Through the
`requires_*` fixtures they skip without them, and fail instead under
REQUIRE_SERVICE_TESTS=1 (CI).

The `app` fixture migrated the test database and empties it between tests; the worker
processes connect to that same database with the production configuration. The broker
is the TEST_REDIS_URL database, emptied before and after each test so no task queued by
one test is run in another's.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from tests.worker.processes import Beat, Worker, production_env
from tests.worker.smtp import HangingServer, SmtpSink, free_port


@pytest.fixture
def broker_url(requires_redis: str):
    client = redis.Redis.from_url(requires_redis)
    client.flushdb()
    yield requires_redis
    client.flushdb()
    client.close()


@pytest.fixture
def broker(broker_url: str):
    """A client of the broker's Redis database, to look at queues and keys."""
    client = redis.Redis.from_url(broker_url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def database_url(requires_postgres: str, app) -> str:
    return requires_postgres


@pytest.fixture
def worker_env(database_url: str, broker_url: str, tmp_path: Path):
    """Build the production environment of a worker, beat or `flask` command."""

    def build(**extra: object) -> dict:
        return production_env(database_url, broker_url, tmp_path, **extra)

    return build


@pytest.fixture
def start_worker(worker_env, tmp_path: Path, request):
    def start(**extra: object) -> Worker:
        worker = Worker(worker_env(**extra), tmp_path, free_port())
        request.addfinalizer(worker.stop)
        worker.wait_ready()
        return worker

    return start


@pytest.fixture
def start_beat(worker_env, tmp_path: Path, request):
    def start(name: str = "beat", **extra: object) -> Beat:
        beat = Beat(worker_env(**extra), tmp_path, name)
        request.addfinalizer(beat.stop)
        return beat

    return start


@pytest.fixture
def smtp_sink(request):
    def start(port: int = 0, *, stall_first: bool = False) -> SmtpSink:
        sink = SmtpSink(port, stall_first=stall_first)
        request.addfinalizer(sink.stop)
        return sink

    return start


@pytest.fixture
def hanging_smtp(request) -> HangingServer:
    server = HangingServer()
    request.addfinalizer(server.close)
    return server


# The test process's own metrics stay single-process: it is not the worker.
IN_PROCESS_EXCLUDED = {"PROMETHEUS_MULTIPROC_DIR", "WORKER_METRICS_BIND"}


@pytest.fixture
def producer(worker_env, monkeypatch, restore_limiter):
    """An in-process app with the production configuration whose broker is the test Redis:
    what it queues goes to the real worker (it never runs a task itself)."""

    def build(**extra: object):
        from banking.app import create_app

        for name, value in worker_env(**extra).items():
            if name not in IN_PROCESS_EXCLUDED:
                monkeypatch.setenv(name, value)
        return create_app()

    return build
