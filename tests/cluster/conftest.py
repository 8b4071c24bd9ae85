"""One cluster for the whole suite (deploy/cluster/driver.py): 3 app hosts, a balancer and
a data host as network namespaces, the machine's PostgreSQL behind pgbouncer.

Needs root and `ip netns`, haproxy, pgbouncer, redis-server and a PostgreSQL
TEST_DATABASE_URL. Without them the suite skips and says why, loudly; with
REQUIRE_CLUSTER=1 (CI) it fails instead, so CI cannot go green by testing nothing.

Teardown runs even when a test or the start-up fails (try/finally here, atexit and a
SIGTERM handler in the driver), and the last check is that no namespace, veth or
process of the run is left.
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.parse
from pathlib import Path

import psycopg
import pytest

from tests.reliability import support
from tests.support.services import TEST_DATABASE_URL

REQUIRE_CLUSTER = os.environ.get("REQUIRE_CLUSTER") == "1"
FUNDING = 50_000
CUSTOMERS = 40
PG_SOCKET = os.environ.get("CLUSTER_PG_SOCKET", "/var/run/postgresql")
SKIPPED: list[str] = []


def pytest_collection_modifyitems(items) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.cluster)


def pytest_terminal_summary(terminalreporter) -> None:
    figures = {k: v for k, v in support.FIGURES.items() if k.startswith("cluster_")}
    if figures:
        terminalreporter.section("cluster figures")
        for name, values in figures.items():
            terminalreporter.write_line(f"{name}: {json.dumps(values, sort_keys=True)}")
    if SKIPPED:
        terminalreporter.section("CLUSTER TESTS SKIPPED", sep="!", red=True, bold=True)
        terminalreporter.write_line(f"tests/cluster did not run: {SKIPPED[0]}", red=True)
        terminalreporter.write_line("(REQUIRE_CLUSTER=1 turns this into a failure, as in CI)")


def _missing() -> str | None:
    from deploy.cluster.network import unavailable_reason

    reason = unavailable_reason()
    if reason:
        return reason
    for binary in ("haproxy", "pgbouncer", "redis-server"):
        if not shutil.which(binary):
            return f"{binary} is not installed (apt-get install haproxy pgbouncer redis-server)"
    if not TEST_DATABASE_URL.startswith("postgres"):
        return "TEST_DATABASE_URL is not a PostgreSQL URL"
    if not Path(PG_SOCKET).is_dir():
        return f"PostgreSQL's socket directory {PG_SOCKET} is missing (set CLUSTER_PG_SOCKET)"
    return None


def _fresh_database() -> str:
    """`<test database>_cluster` on TEST_DATABASE_URL's server, dropped and created."""
    base = urllib.parse.urlsplit(TEST_DATABASE_URL.replace("+psycopg", ""))
    name = (base.path.lstrip("/") or "banking") + "_cluster"
    admin = urllib.parse.urlunsplit(base._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


class Pool:
    """The seeded customers, handed out so no two tests share one by accident."""

    def __init__(self, customers: list[dict]) -> None:
        self.free = list(customers)

    def take(self, count: int) -> list[dict]:
        assert len(self.free) >= count, "seed more customers (CUSTOMERS in conftest)"
        taken, self.free = self.free[:count], self.free[count:]
        return taken


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    reason = _missing()
    if reason:
        SKIPPED.append(reason)
        if REQUIRE_CLUSTER:
            pytest.fail(f"REQUIRE_CLUSTER=1 but the cluster cannot run: {reason}")
        pytest.skip(f"CLUSTER TESTS SKIPPED: {reason}")
    from deploy.cluster.driver import Cluster, stop_on_sigterm

    stop_on_sigterm()
    workdir = tmp_path_factory.mktemp("cluster")
    database = _fresh_database()
    # Sign-ins through the balancer all come from the machine's one address (the load
    # clients of every test): a per-IP budget that several tests' clients fit in.
    cluster = Cluster(
        workdir,
        database,
        app_hosts=3,
        workers=2,
        pg_socket=PG_SOCKET,
        extra_env={"LOGIN_RATE_LIMIT": "40/minute"},
    )
    try:
        cluster.start()
        setup = cluster.setup_env()
        support.migrate(setup)
        customers = support.seed_customers(setup, CUSTOMERS, FUNDING)
        cluster.start_worker("app1")
        cluster.start_beat("app1")
        cluster.customers = Pool(customers)
        cluster.seeded_total = CUSTOMERS * FUNDING
        yield cluster
    finally:
        tag = cluster.net.tag
        cluster.stop()
        leftovers = cluster.net.leftovers()
        assert not leftovers, f"cluster teardown left {leftovers} (run {tag})"
