"""Starting and stopping the processes a run needs, so none outlives the run.

Every child gets its own session (process group); stopping sends SIGTERM to the
whole group, waits, then SIGKILLs it. `ProcessSet` is a context manager, and the
runner turns SIGTERM/SIGINT into an exception, so a failed or interrupted run
still stops everything it started.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path


class HarnessError(RuntimeError):
    """The harness itself failed (a server did not start, a tool broke): exit non-zero."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ProcessSet:
    """The long-running children of one run (servers), stopped on exit whatever happens."""

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen]] = []

    def __enter__(self) -> ProcessSet:
        return self

    def __exit__(self, *exc) -> None:
        self.stop_all()

    def start(self, name: str, argv: list[str], *, env: dict, log_path: Path, cwd: Path):
        log = log_path.open("ab")
        process = subprocess.Popen(  # own session: stop() signals the whole group
            argv,
            env=env,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.children.append((name, process))
        return process

    def stop(self, process: subprocess.Popen, timeout: float = 3) -> None:
        """SIGTERM the group, SIGKILL what is left after `timeout` (a benchmark server
        has nothing in flight once its load generator has finished)."""
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        # Workers may linger a moment after the master: make sure the group is gone.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        self.children = [(n, p) for n, p in self.children if p is not process]

    def stop_all(self) -> None:
        for _name, process in reversed(list(self.children)):
            self.stop(process)


def wait_http_ok(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    """Poll `url` until it answers 200; fail fast if the server process died."""
    deadline = time.monotonic() + timeout
    last_error = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise HarnessError(f"server exited with {process.returncode} before {url} was ready")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
                last_error = f"status {response.status}"
        except OSError as exc:
            last_error = str(exc)
        time.sleep(0.2)
    raise HarnessError(f"{url} not ready after {timeout}s: {last_error}")


def install_signal_handlers() -> None:
    """SIGTERM behaves like Ctrl-C, so `finally` blocks stop the children."""

    def _raise(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _raise)


def worker_pids(master_pid: int) -> list[int]:
    """The children of a gunicorn master (its workers), from /proc."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Field 4 (after the parenthesised command, which may contain spaces) is the ppid.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == master_pid:
            pids.append(int(entry.name))
    return sorted(pids)


def parse_proc_status(text: str) -> dict[str, int]:
    """VmRSS/VmHWM (kB in /proc/<pid>/status) as bytes; pure, unit-tested."""
    values = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            number, _, unit = rest.strip().partition(" ")
            values[key] = int(number) * (1024 if unit.strip() == "kB" else 1)
    return values


def memory_of(pid: int) -> dict[str, int]:
    try:
        return parse_proc_status(Path(f"/proc/{pid}/status").read_text())
    except OSError:
        return {}


def gunicorn_settings(python: str, env: dict, cwd: Path) -> dict:
    """The worker settings gunicorn resolves from gunicorn.conf.py in `env`.

    Asked of gunicorn's own config parser (no server starts), so the report names the
    configuration a run measured without the harness repeating its numbers.
    """
    probe = (
        "import json, sys\n"
        "from gunicorn.app.wsgiapp import WSGIApplication\n"
        "sys.argv = ['gunicorn', '-c', 'gunicorn.conf.py', 'wsgi:app']\n"
        "c = WSGIApplication('%(prog)s [OPTIONS] [APP_MODULE]').cfg\n"
        "print('GUNICORN_JSON ' + json.dumps({'worker_class': c.worker_class_str,\n"
        "    'workers': c.workers, 'threads': c.threads, 'timeout': c.timeout,\n"
        "    'keepalive': c.keepalive, 'resolved_class': c.worker_class.__name__}))\n"
    )
    completed = subprocess.run(
        [python, "-c", probe], env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    marker = "GUNICORN_JSON "
    line = next((ln for ln in completed.stdout.splitlines() if ln.startswith(marker)), None)
    if line is None:
        raise HarnessError(f"could not read gunicorn.conf.py:\n{completed.stderr[-2000:]}")
    return json.loads(line[len(marker) :])
