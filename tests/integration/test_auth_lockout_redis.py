"""Unknown-email lockout on Redis, the staging/production cache: the same rules as a real
account (lock end fixed once, counting restarts after it) and every parallel probe counted.

The HTTP flow is covered on the in-process cache in test_auth_login.py; these check what
only Redis can show: INCR on the stored counter, the keys' expiry, and atomicity.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from uuid import uuid4

import pytest
import redis

from banking import create_app
from banking.auth import lockout
from banking.extensions import limiter
from banking.models.base import utcnow
from config import TestingConfig


@pytest.fixture
def redis_app(requires_redis):
    """An app whose cache is Redis under a prefix of its own; its keys are removed after."""
    saved = dict(limiter.__dict__)  # a second app re-binds the shared limiter
    prefix = f"banking-test-{uuid4().hex[:8]}:"
    config = TestingConfig()
    config.CACHE_TYPE = "RedisCache"
    config.CACHE_REDIS_URL = requires_redis
    config.CACHE_KEY_PREFIX = prefix
    config.LOCKOUT_THRESHOLD = 3
    app = create_app(config)
    client = redis.Redis.from_url(requires_redis)
    yield app, client, prefix
    keys = client.keys(f"{prefix}*")
    if keys:
        client.delete(*keys)
    client.close()
    limiter.__dict__.clear()
    limiter.__dict__.update(saved)


def test_unknown_email_lock_end_is_fixed_once_and_counting_restarts_after_it(redis_app):
    app, client, prefix = redis_app
    start = utcnow()
    with app.app_context():
        answers = [lockout.register_unknown_failure("ghost@example.com", start) for _ in range(3)]
        assert answers == [False, False, True]
        later = start + timedelta(minutes=10)
        assert lockout.register_unknown_failure("ghost@example.com", later) is True
        after = start + timedelta(minutes=16)  # 15 minutes after the third failure
        answers = [lockout.register_unknown_failure("ghost@example.com", after) for _ in range(3)]
        assert answers == [False, False, True]
    for key in client.keys(f"{prefix}auth:unknown-*"):
        assert 0 < client.ttl(key) <= int(lockout.UNKNOWN_COUNT_RETENTION.total_seconds())


def test_parallel_probes_of_an_unknown_email_all_count(redis_app):
    """Below the threshold (once locked, probes stop counting, as for a real account)."""
    app, client, prefix = redis_app
    app.config["LOCKOUT_THRESHOLD"] = 100
    now = utcnow()
    start = threading.Barrier(8)

    def probe() -> None:
        with app.app_context():
            start.wait()
            lockout.register_unknown_failure("ghost@example.com", now)

    threads = [threading.Thread(target=probe) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    (count_key,) = client.keys(f"{prefix}auth:unknown-failures:*")
    assert int(client.get(count_key)) == 8
    assert client.keys(f"{prefix}auth:unknown-lock:*") == []
