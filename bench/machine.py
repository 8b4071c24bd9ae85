"""What the figures were measured on: hardware, versions and settings for the report."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path


def _first_line(command: list[str]) -> str | None:
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (completed.stdout or completed.stderr).strip()
    return text.splitlines()[0] if text else None


def cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def memory_total_mb() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except OSError:
        return None
    return None


def package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def describe_machine(database_url: str) -> dict:
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_mb": memory_total_mb(),
        "kernel": platform.release(),
        "versions": {
            "python": platform.python_version(),
            "flask": package_version("flask"),
            "sqlalchemy": package_version("sqlalchemy"),
            "psycopg": package_version("psycopg"),
            "gunicorn": package_version("gunicorn"),
            "postgresql": _first_line(
                ["psql", "-X", "-At", database_url, "-c", "SHOW server_version"]
            ),
            "redis": _first_line(["redis-server", "--version"]),
            "wrk": _first_line(["wrk", "--version"]),
            "pgbench": _first_line(["pgbench", "--version"]),
        },
    }
