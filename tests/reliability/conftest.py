"""Fixtures for the reliability tests: a fresh production-like stack per test."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.reliability import support


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path


def pytest_terminal_summary(terminalreporter) -> None:
    """The figures every reliability test recorded, in the log of a green run too."""
    if not support.FIGURES:
        return
    terminalreporter.section("reliability figures")
    for name, figures in support.FIGURES.items():
        terminalreporter.write_line(f"{name}: {json.dumps(figures, sort_keys=True)}")
    terminalreporter.write_line(f"(also in {support.FIGURES_FILE})")


class LoadRun:
    """The load generator running in a second process (see tests/reliability/load.py)."""

    def __init__(self, workdir: Path, spec: dict) -> None:
        self.out = workdir / f"load-{time.monotonic_ns()}.json"
        self.ready = workdir / f"ready-{time.monotonic_ns()}"
        spec = {**spec, "out": str(self.out), "ready": str(self.ready)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.load", json.dumps(spec)],
            cwd=support.ROOT,
        )

    def wait_ready(self, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while not self.ready.exists():
            assert self.process.poll() is None, "the load generator exited before it was ready"
            assert time.monotonic() < deadline, "the load clients did not sign in"
            time.sleep(0.1)

    def result(self, seconds: float = 300) -> dict:
        self.process.wait(timeout=seconds)
        assert self.process.returncode == 0
        report = json.loads(self.out.read_text())
        assert not report["failures"], report["failures"]
        return report

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def start_load():
    runs: list[LoadRun] = []

    def start(workdir: Path, spec: dict) -> LoadRun:
        run = LoadRun(workdir, spec)
        runs.append(run)
        return run

    yield start
    for run in runs:
        run.kill()
