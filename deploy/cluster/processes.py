"""Processes inside a host (namespace), and the small waits and HTTP probes the driver uses."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import string
import subprocess
import time
from pathlib import Path

from deploy.cluster.network import Host

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PUBLIC_HOST = "bank.example.com"


class Proc:
    """One process started inside a host, in its own process group, logging to a file."""

    def __init__(self, name: str, host: Host, argv: list[str], env: dict, log: Path) -> None:
        self.name, self.host, self.log = name, host, log
        with log.open("ab") as out:
            # `ip netns exec` enters the namespace and execs: the pid is the program's own.
            self.popen = subprocess.Popen(
                ["ip", "netns", "exec", host.ns, *argv],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, sig)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int | None:
        """`sig` to the process (SIGTERM: graceful), SIGKILL to its group after `timeout`."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.signal_group(signal.SIGKILL)
                self.popen.wait(timeout=10)
        self.signal_group(signal.SIGKILL)  # stragglers (a worker that outlived its master)
        return self.popen.returncode

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def http_get(ip: str, port: int, path: str, timeout: float = 2) -> tuple[int, str]:
    conn = http.client.HTTPConnection(ip, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": PUBLIC_HOST})
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def wait_until(predicate, seconds: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, http.client.HTTPException):
            if predicate():
                return True
        time.sleep(step)
    return False


def _render(template: str, target: Path, **values: str) -> Path:
    text = string.Template((HERE / template).read_text()).substitute(values)
    target.write_text(text)
    return target

