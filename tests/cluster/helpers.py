"""Clients for the cluster's hosts, the load run through its balancer, and the books proof."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
import time
from pathlib import Path

from tests.reliability import support
from tests.reliability.support import Browser

_ADDRESSES = itertools.count(10)
MONEY = re.compile(r"\$[\d,]+\.\d\d")


def client_address() -> str:
    """A made-up client address for this visitor (TEST-NET-2): what the balancer would
    put in X-Forwarded-For, so one test's sign-ins never use another's throttling budget."""
    return f"198.51.100.{next(_ADDRESSES) % 250}"


def at(cluster, host: str, address: str | None = None) -> Browser:
    """A visitor talking to one app host directly, as if through the balancer from `address`.

    The app trusts one proxy hop (PROXY_FIX_COUNT=1), as in production where only the
    balancer reaches an app host; here the test plays that balancer.
    """
    ip = cluster.host(host).ip
    headers = {
        "X-Forwarded-For": address or client_address(),
        "X-Forwarded-Proto": "https",
        # Over https Flask-WTF checks that a form comes from this site, as browsers say.
        "Referer": f"https://{ip}/",
    }
    return Browser(8000, timeout=30, host=ip, headers=headers)


def moved_to(browser: Browser, host_ip: str) -> Browser:
    """The same visitor (cookies, address) talking to another host."""
    other = browser.clone()
    other.host = host_ip
    other.headers["Referer"] = f"https://{host_ip}/"
    return other


def amounts(html: str) -> list[str]:
    return MONEY.findall(html)


class LoadRun:
    """tests/reliability/load.py in its own process, aimed at the balancer."""

    def __init__(self, cluster, workdir: Path, customers: list[dict], **spec) -> None:
        self.out = workdir / f"load-{time.monotonic_ns()}.json"
        self.ready = workdir / f"ready-{time.monotonic_ns()}"
        self.stop_file = workdir / f"stop-{time.monotonic_ns()}"
        spec = {
            "host": cluster.lb.ip,
            # The balancer says https (X-Forwarded-Proto): forms need a same-site Referer.
            "headers": {"Referer": f"https://{cluster.lb.ip}/"},
            "port": 80,
            "customers": customers,
            "clients": 8,
            "page_every": 5,
            "dup_every": 40,
            "timeout": 40,
            **spec,
            "out": str(self.out),
            "ready": str(self.ready),
            "stop": str(self.stop_file),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.load", json.dumps(spec)], cwd=support.ROOT
        )

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while not self.ready.exists():
            assert self.process.poll() is None, "the load generator exited before it was ready"
            assert time.monotonic() < deadline, "the load clients did not sign in"
            time.sleep(0.05)

    def stop(self) -> None:
        """End the run now (the clients finish what they are doing)."""
        self.stop_file.write_text("stop")

    def result(self, seconds: float = 180) -> dict:
        self.process.wait(timeout=seconds)
        assert self.process.returncode == 0
        report = json.loads(self.out.read_text())
        assert not report["failures"], report["failures"]
        return report

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def prove_books(cluster, *reports: dict) -> dict:
    """Money conserved, nothing below its limit, `flask ledger verify --deep` clean, and
    every "transfer sent" answer names a committed transaction."""
    url = cluster.direct_database_url
    books = support.books(url)
    assert books.customer_total == cluster.seeded_total, "money appeared or vanished"
    assert books.all_total == 0
    assert books.below_limit == []
    support.verify_ledger_cli(cluster.setup_env())
    confirmed = 0
    for report in reports:
        assert not report["redirected_elsewhere"], report["redirected_elsewhere"]
        assert support.missing_transactions(url, report["confirmed_ids"]) == []
        confirmed += report["confirmed_transfers"]
        # A form submitted three times (twice at once, through the balancer so likely
        # on two hosts) moved money once.
        for dup in report["duplicates"]:
            ids = {i for i in dup["ids"] if i is not None}
            assert len(ids) <= 1, dup
    return {"transfers_in_db": books.transactions, "confirmed_transfers": confirmed}


def summary(report: dict) -> dict:
    keep = ("requests", "transfers_ok", "seconds", "transfers_per_s", "p50_ms", "p99_ms",
            "statuses", "page_statuses", "errors", "flow_errors", "keepalive_resends")
    return {key: report[key] for key in keep}
