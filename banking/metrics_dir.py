"""The directory prometheus-client's multiprocess mode shares between processes.

gunicorn's workers (and a Celery worker's pool processes) each write their metrics to
files in PROMETHEUS_MULTIPROC_DIR, and /metrics adds them up. The variable must be set
before prometheus_client is first imported (it picks its storage then), so the process
that forks — gunicorn's master (gunicorn.conf.py) or the Celery worker (banking.worker)
— calls `prepare` first. Standard library only, for that reason.

One directory per deployment, emptied at start: files left by an earlier run would add
its dead processes' counts to this one's.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def prepare(role: str) -> str:
    """Use PROMETHEUS_MULTIPROC_DIR (emptied) or a fresh private directory; return it."""
    configured = os.environ.get(VARIABLE)
    if configured:
        directory = Path(configured)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
    else:
        directory = Path(tempfile.mkdtemp(prefix=f"banking-metrics-{role}-"))
        os.environ[VARIABLE] = str(directory)
    return str(directory)


def current() -> str | None:
    """The directory in use, or None when metrics live in this process only."""
    return os.environ.get(VARIABLE) or None


def mark_process_dead(pid: int) -> None:
    """Drop a finished process's live gauges (in-flight requests, pool use)."""
    if os.environ.get(VARIABLE):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
