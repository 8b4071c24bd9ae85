"""Signs of life of the background side, kept in Redis for the metrics to read.

The worker's heartbeat task stores when it last ran (beat sends it every 30 s, so it also
stops when beat stops); RedBeat holds its lock key while a beat runs. Without a broker
(development, tests) there is no worker to watch and both answer None.
"""

from __future__ import annotations

import logging

import redis
from flask import current_app

log = logging.getLogger(__name__)

WORKER_KEY = "banking:worker:heartbeat"
BEAT_LOCK_KEY = "banking:redbeat:lock"


def _client() -> redis.Redis | None:
    url = current_app.config.get("CELERY_BROKER_URL")
    if not url:
        return None
    return redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)


def record_worker(at: float) -> float:
    client = _client()
    if client is not None:
        client.set(WORKER_KEY, repr(at), ex=24 * 3600)
    return at


def last_worker() -> float | None:
    """When a worker last ran the heartbeat task (epoch seconds), if known."""
    client = _client()
    if client is None:
        return None
    value = client.get(WORKER_KEY)
    return float(value) if value else None


def beat_running() -> bool | None:
    client = _client()
    if client is None:
        return None
    return bool(client.exists(BEAT_LOCK_KEY))


def queue_depth(queue: str) -> int | None:
    client = _client()
    if client is None:
        return None
    return int(client.llen(queue))
