"""Real Celery worker and beat processes, started the way production starts them.

Each runs `celery -A banking.worker worker|beat` in its own process group with the
production configuration (APP_ENV=production) against the test PostgreSQL database and
the test Redis, and is killed as a group when the test ends, whatever happened.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECRET = "w" * 48

METRIC_LINE = re.compile(r"^banking_task_runs_total\{(?P<labels>[^}]*)\} (?P<value>\S+)$")
LABEL = re.compile(r'(\w+)="([^"]*)"')


def production_env(database_url: str, broker_url: str, workdir: Path, **extra: str) -> dict:
    """The worker's environment: production settings, test services, nothing from TEST_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PROMETHEUS_"))}
    env.update(
        APP_ENV="production",
        SECRET_KEY=SECRET,
        DATABASE_URL=database_url,
        REDIS_URL=broker_url,
        CELERY_BROKER_URL=broker_url,
        PUBLIC_BASE_URL="https://bank.example.com",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        MAIL_BACKEND="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_USE_TLS="false",
        MAIL_TIMEOUT="5",
        CELERY_VISIBILITY_TIMEOUT="30",
        TASK_RETRY_BACKOFF_MAX="1",
        PROMETHEUS_MULTIPROC_DIR=str(workdir / "metrics"),
        WORKER_METRICS_BIND="",
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    env.update({key: str(value) for key, value in extra.items()})
    return env


def eventually(check: Callable[[], object], what: str, seconds: float = 30) -> object:
    """Poll `check` until it returns something truthy; fail naming `what` after `seconds`.

    A deadline, not a measurement: the tests assert what happened and in which order,
    never how fast.
    """
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


class CeleryProcess:
    """One `celery -A banking.worker <command>` process group, its output in a file."""

    def __init__(self, command: list[str], env: dict, workdir: Path, name: str) -> None:
        self.name = name
        self.log_path = workdir / f"{name}.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [str(BIN / "celery"), "-A", "banking.worker", *command],
            cwd=workdir,  # nothing it writes lands in the source tree
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the pool dies with it
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def assert_alive(self) -> None:
        if not self.alive():
            raise AssertionError(f"{self.name} exited ({self.process.returncode}):\n{self.log()}")

    def children(self) -> list[int]:
        """The pids of this process's children (the worker's pool processes)."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.pid:
                found.append(int(stat.parent.name))
        return found

    def stop(self, grace: float = 10) -> None:
        """SIGTERM to the group (a warm shutdown), SIGKILL if it lingers."""
        if self.alive():
            try:
                os.killpg(self.pid, signal.SIGTERM)
                self.process.wait(timeout=grace)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        try:
            os.killpg(self.pid, signal.SIGKILL)  # and any pool process left behind
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)
        self._log.close()


class Worker(CeleryProcess):
    """`celery worker` with one pool process, serving its metrics on `metrics_port`."""

    def __init__(self, env: dict, workdir: Path, metrics_port: int) -> None:
        env = {**env, "WORKER_METRICS_BIND": f"127.0.0.1:{metrics_port}"}
        command = ["worker", "--concurrency", "1", "--without-mingle", "--without-gossip"]
        super().__init__([*command, "--loglevel", "info"], env, workdir, "worker")
        self.metrics_port = metrics_port
        self.metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"

    def wait_ready(self) -> None:
        # The metrics server starts on `worker_ready`: once it answers, tasks are taken.
        eventually(lambda: self.assert_alive() or self.metrics_text(), "the worker to be ready")

    def metrics_text(self) -> str:
        try:
            with urllib.request.urlopen(self.metrics_url, timeout=2) as response:
                return response.read().decode()
        except OSError:
            return ""

    def task_runs(self) -> dict[tuple[str, str], float]:
        """`banking_task_runs_total` by (task, outcome), added up over the pool processes."""
        runs = {}
        for line in self.metrics_text().splitlines():
            match = METRIC_LINE.match(line)
            if match:
                labels = dict(LABEL.findall(match["labels"]))
                runs[(labels["task"], labels["outcome"])] = float(match["value"])
        return runs

    def wait_for_run(self, task: str, outcome: str = "succeeded", count: int = 1) -> None:
        def done() -> bool:
            self.assert_alive()
            return self.task_runs().get((task, outcome), 0) >= count

        eventually(done, f"{task} to be {outcome} {count} time(s)", seconds=45)


class Beat(CeleryProcess):
    def __init__(self, env: dict, workdir: Path, name: str) -> None:
        super().__init__(["beat", "--loglevel", "info"], env, workdir, name)
