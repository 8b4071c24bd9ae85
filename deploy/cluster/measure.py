"""`sudo .venv/bin/python -m deploy.cluster.measure --database NAME`: the figures of
docs/scaling.md. Needs what tests/cluster needs (root, `ip netns`, haproxy, pgbouncer,
redis-server, the machine's PostgreSQL); NAME is dropped and created.

For 1, 2 and 3 app hosts behind pgbouncer, then 3 without it, through the balancer:

* transfers: `tests.reliability.load` (16 clients on 16 customers, the confirm POST, a
  dashboard every 5th step) for `--seconds`; transfers/s, p50/p99;
* pages: 16 threads fetching the dashboard; pages/s, p50/p99;
* CPU cost: CPU seconds used during each run by the PostgreSQL backends serving this
  database and by every process on the app hosts, per transfer and per page;
* PostgreSQL connections to the database (the most seen, sampled every 0.2 s).

All hosts share this machine's CPUs with the load generator and PostgreSQL: the point
is how the work divides, not the absolute rates.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

from deploy.cluster.driver import BIN, ROOT, Cluster, stop_on_sigterm
from deploy.cluster.network import namespace_pids

TICK = 100  # clock ticks per second in /proc/<pid>/stat (sysconf CLK_TCK on Linux)


def _cpu(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / TICK


def _backend_pids(cluster: Cluster) -> list[int]:
    with psycopg.connect(f"dbname=postgres host={cluster.pg_socket}", autocommit=True) as conn:
        return [
            row[0]
            for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (cluster.database,)
            )
        ]


def _app_pids(cluster: Cluster) -> list[int]:
    return [pid for host in cluster.apps for pid in namespace_pids(host.ns)]


class Meter:
    """CPU of the database's backends and the app hosts, and the most connections seen."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.max_connections = 0
        self.backends: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            pids = _backend_pids(self.cluster)
            self.backends.update(pids)
            self.max_connections = max(self.max_connections, len(pids))
            time.sleep(0.2)

    def __enter__(self) -> Meter:
        self.backends.update(_backend_pids(self.cluster))
        self.db_cpu0 = _cpu(sorted(self.backends))
        self.app_cpu0 = _cpu(_app_pids(self.cluster))
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()
        # Backends opened during the run started at 0 CPU; the ones gone are not counted.
        self.db_cpu = _cpu(sorted(self.backends)) - self.db_cpu0
        self.app_cpu = _cpu(_app_pids(self.cluster)) - self.app_cpu0


def _transfers(cluster: Cluster, customers: list[dict], seconds: int, workdir: Path) -> dict:
    out = workdir / f"load-{time.monotonic_ns()}.json"
    spec = {
        "host": cluster.lb.ip, "port": 80, "customers": customers, "clients": 16,
        "page_every": 5, "dup_every": 0, "duration": seconds, "out": str(out),
        "headers": {"Referer": f"https://{cluster.lb.ip}/"},
    }
    subprocess.run(
        [sys.executable, "-m", "tests.reliability.load", json.dumps(spec)], cwd=ROOT, check=True
    )
    return json.loads(out.read_text())


def _pages(cluster: Cluster, customers: list[dict], seconds: int) -> dict:
    from tests.reliability.support import Browser, sign_in

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    browsers = []
    for customer in customers:
        browser = Browser(80, host=cluster.lb.ip, headers={"Referer": f"https://{cluster.lb.ip}/"})
        sign_in(browser, customer["email"])
        browsers.append(browser)
    deadline = time.monotonic() + seconds

    def visit(browser) -> None:
        while time.monotonic() < deadline:
            began = time.perf_counter()
            status, _, _ = browser.get("/")
            with lock:
                latencies.append(time.perf_counter() - began)
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=visit, args=(b,)) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ordered = sorted(latencies)
    return {
        "pages": len(ordered),
        "pages_per_s": round(len(ordered) / seconds, 1),
        "p50_ms": round(ordered[len(ordered) // 2] * 1000, 1),
        "p99_ms": round(ordered[int(len(ordered) * 0.99)] * 1000, 1),
        "statuses": statuses,
    }


def measure(database: str, seconds: int, workdir: Path) -> list[dict]:
    from tests.reliability import support

    results = []
    customers: list[dict] | None = None
    # (app hosts, pgbouncer, pgbouncer's server connections): the last two ask how few
    # PostgreSQL connections 9 workers need, and what they take without pgbouncer.
    for hosts, pgbouncer, pool in [(1, True, 10), (2, True, 10), (3, True, 10), (3, True, 3),
                                   (3, False, 0)]:
        cluster = Cluster(
            workdir, database, app_hosts=hosts, workers=3, pgbouncer=pgbouncer, pool_size=pool,
            extra_env={"LOGIN_RATE_LIMIT": "1000/minute"},
        )
        try:
            cluster.start()
            if customers is None:
                setup = cluster.setup_env()
                support.migrate(setup)
                customers = support.seed_customers(setup, 32, 10_000_000)
            with Meter(cluster) as transfer_meter:
                load = _transfers(cluster, customers[:16], seconds, workdir)
            with Meter(cluster) as page_meter:
                pages = _pages(cluster, customers[16:], seconds)
            done = max(load["transfers_ok"], 1)
            # The transfer run's CPU is transfers and every 5th step a dashboard: take the
            # pages' measured share out before dividing by transfers.
            page_db = page_meter.db_cpu / max(pages["pages"], 1)
            page_app = page_meter.app_cpu / max(pages["pages"], 1)
            shown = load["page_statuses"].get("200", 0)
            results.append({
                "app_hosts": hosts,
                "pgbouncer": pgbouncer,
                "pgbouncer_pool": pool if pgbouncer else None,
                "transfers_per_s": load["transfers_per_s"],
                "transfer_p50_ms": load["p50_ms"],
                "transfer_p99_ms": load["p99_ms"],
                "transfer_statuses": load["statuses"],
                "pages_per_s": pages["pages_per_s"],
                "page_p50_ms": pages["p50_ms"],
                "page_p99_ms": pages["p99_ms"],
                "page_statuses": pages["statuses"],
                "db_cpu_ms_per_transfer": round(
                    1000 * (transfer_meter.db_cpu - shown * page_db) / done, 2),
                "app_cpu_ms_per_transfer": round(
                    1000 * (transfer_meter.app_cpu - shown * page_app) / done, 2),
                "db_cpu_ms_per_page": round(1000 * page_db, 2),
                "app_cpu_ms_per_page": round(1000 * page_app, 2),
                "pg_connections_max_transfers": transfer_meter.max_connections,
                "pg_connections_max_pages": page_meter.max_connections,
                "app_workers": hosts * 3,
            })
            print(json.dumps(results[-1]), flush=True)  # noqa: T201
        finally:
            cluster.stop()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description="docs/scaling.md's figures")
    parser.add_argument("--database", default="banking_cluster_measure")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--out", type=Path, default=ROOT / "test-artifacts" / "scaling.json")
    args = parser.parse_args()
    stop_on_sigterm()
    with psycopg.connect("dbname=postgres host=/var/run/postgresql", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.database}"')
    workdir = Path(tempfile.mkdtemp(prefix="banking-measure-"))
    results = measure(args.database, args.seconds, workdir)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {args.out} (logs in {workdir}; {BIN})")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
