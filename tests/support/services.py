"""Which outside services this run has: PostgreSQL and Redis from the environment.

Flask-free on purpose, so tests/core and the reliability harness can read the same
settings as the app tiers without importing the app.
"""

from __future__ import annotations

import os

import pytest

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICE_TESTS") == "1"


def need_service(available: bool, what: str) -> None:
    """Skip without `what`; fail instead under REQUIRE_SERVICE_TESTS=1 (CI must not test less)."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required in this run (REQUIRE_SERVICE_TESTS=1) but not configured")
    pytest.skip(f"{what} not configured")
