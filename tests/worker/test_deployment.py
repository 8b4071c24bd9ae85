"""The compose file's health check for the worker container, run against a live worker."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from tests.worker.processes import ROOT

pytestmark = pytest.mark.slow


def compose_probe(port: int) -> list[str]:
    service = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["worker"]
    bind_port = service["environment"]["WORKER_METRICS_BIND"].rpartition(":")[2]
    code = service["healthcheck"]["test"][3].replace(f":{bind_port}/", f":{port}/")
    return [sys.executable, "-c", code]


def test_the_compose_health_check_passes_on_a_live_worker_only(start_worker):
    worker = start_worker()
    probe = compose_probe(worker.metrics_port)
    assert subprocess.run(probe, timeout=10, capture_output=True).returncode == 0
    worker.stop()
    assert subprocess.run(probe, timeout=10, capture_output=True).returncode != 0
