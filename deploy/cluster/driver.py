"""A production-shaped cluster on one machine: hosts are network namespaces.

    data   10.77.N.2   pgbouncer :6432 (-> the machine's PostgreSQL), redis-server :6379
    lb     10.77.N.3   HAProxy :80, health checks on /readyz
    app1.. 10.77.N.11+ gunicorn :8000 with APP_ENV=production; Celery worker + beat on app1

PostgreSQL itself stays the machine's: pgbouncer (and, in the measurement without
pgbouncer, the apps) reach it through its Unix socket, which a network namespace does not
hide (the machine's PostgreSQL listens on 127.0.0.1 only, and each namespace has its
own loopback).

Use it from Python (tests/cluster, deploy/cluster/measure.py) or by hand:
`sudo .venv/bin/python -m deploy.cluster --hosts 3 --database banking_cluster`
starts one and keeps it up until Ctrl-C. Everything it starts it stops, and `stop()`
(also run at exit and on SIGTERM) removes every namespace, veth and process.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from deploy.cluster.balancer import BalancerControl
from deploy.cluster.network import Host, Network, sweep_stale
from deploy.cluster.processes import (
    HERE,
    PUBLIC_HOST,
    ROOT,
    Proc,
    _render,
    http_get,
    wait_until,
)

__all__ = ["BIN", "ROOT", "Cluster", "http_get", "stop_all", "stop_on_sigterm", "wait_until"]

BIN = Path(sys.executable).parent
SECRET = "cluster-secret-key-" + "c" * 32
APP_PORT = 8000
PGBOUNCER_PORT = 6432
_LIVE: list[Cluster] = []


class Cluster(BalancerControl):
    """Data host, balancer and `app_hosts` app hosts; `start()` then `stop()`."""

    def __init__(
        self,
        workdir: Path,
        database: str,
        *,
        app_hosts: int = 3,
        workers: int = 2,
        pgbouncer: bool = True,
        pool_size: int = 10,
        pg_socket: str = "/var/run/postgresql",
        pg_user: str = "postgres",
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.workdir = workdir
        self.database = database
        self.app_count = app_hosts
        self.workers = workers
        self.use_pgbouncer = pgbouncer
        self.pool_size = pool_size
        self.pg_socket = pg_socket
        self.pg_user = pg_user
        self.extra_env = extra_env or {}
        self.net = Network()
        self.procs: dict[str, Proc] = {}
        self.private_dir: Path | None = None  # pgbouncer runs as the PostgreSQL user

    # Addresses ---------------------------------------------------------------------
    @property
    def data(self) -> Host:
        return self.net.hosts["data"]

    @property
    def lb(self) -> Host:
        return self.net.hosts["lb"]

    @property
    def apps(self) -> list[Host]:
        return [self.net.hosts[f"app{i}"] for i in range(1, self.app_count + 1)]

    def host(self, name: str) -> Host:
        return self.net.hosts[name]

    @property
    def redis_url(self) -> str:
        return f"redis://{self.data.ip}:6379/0"

    @property
    def direct_database_url(self) -> str:
        """PostgreSQL itself, through its Unix socket (reachable from any namespace)."""
        return f"postgresql://{self.pg_user}@/{self.database}?host={self.pg_socket}"

    @property
    def app_database_url(self) -> str:
        if self.use_pgbouncer:
            return f"postgresql://{self.pg_user}@{self.data.ip}:{PGBOUNCER_PORT}/{self.database}"
        return self.direct_database_url

    # Lifecycle ---------------------------------------------------------------------
    def start(self) -> Cluster:
        _LIVE.append(self)
        try:
            sweep_stale()
            self.net.create_bridge()
            self.net.add_host("data", 2)
            self.net.add_host("lb", 3)
            for i in range(1, self.app_count + 1):
                self.net.add_host(f"app{i}", 10 + i)
            self.start_redis()
            if self.use_pgbouncer:
                self.start_pgbouncer()
            for host in self.apps:
                self.start_app(host.name, wait=False)
            for host in self.apps:
                self.wait_app(host.name)
            self.start_haproxy()
            self.wait_balanced()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Every process, namespace, veth and private file of this cluster: gone."""
        procs = list(self.procs.values())
        for proc in procs:  # all at once: a teardown need not wait for each in turn
            with contextlib.suppress(Exception):
                proc.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 5
        for proc in procs:
            with contextlib.suppress(Exception):
                proc.stop(timeout=max(0.1, deadline - time.monotonic()))
        self.procs.clear()
        self.net.remove()
        if self.private_dir:
            import shutil

            shutil.rmtree(self.private_dir, ignore_errors=True)
            self.private_dir = None
        if self in _LIVE:
            _LIVE.remove(self)

    # Environment -------------------------------------------------------------------
    def base_env(self, log_name: str) -> dict[str, str]:
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PYTEST", "REQUIRE_"))
        }
        env.update(
            APP_ENV="production",
            SECRET_KEY=SECRET,
            DATABASE_URL=self.app_database_url,
            REDIS_URL=self.redis_url,
            PUBLIC_BASE_URL=f"https://{PUBLIC_HOST}",
            # The balancer's address is what clients use in the test; the app hosts'
            # own addresses let a test talk to one host directly.
            ALLOWED_HOSTS=",".join([PUBLIC_HOST, self.lb.ip] + [h.ip for h in self.apps]),
            # One proxy hop (HAProxy) sets X-Forwarded-For/-Proto; trust exactly that.
            PROXY_FIX_COUNT="1",
            DB_PREPARED_STATEMENTS="false" if self.use_pgbouncer else "true",
            LOG_FILE=str(self.workdir / f"{log_name}.log"),
            LOG_LEVEL="INFO",
            MAIL_BACKEND="log",
            ADMIN_REQUIRES_2FA="false",
            # Cheap argon2: sign-ins are not what the cluster measures.
            ARGON2_TIME_COST="1",
            ARGON2_MEMORY_COST="8192",
            CACHE_KEY_PREFIX="banking:",
        )
        env.update(self.extra_env)
        return env

    def app_env(self, name: str) -> dict[str, str]:
        host = self.host(name)
        metrics = self.workdir / f"metrics-{name}"
        metrics.mkdir(exist_ok=True)
        env = self.base_env(name)
        env.update(
            GUNICORN_BIND=f"{host.ip}:{APP_PORT}",
            WEB_CONCURRENCY=str(self.workers),
            GUNICORN_GRACEFUL_TIMEOUT="20",
            GUNICORN_TIMEOUT="30",
            # The app is imported once, in the master, and forked: a host (re)starts in
            # about half the CPU time, which matters when hosts restart under load.
            GUNICORN_PRELOAD="true",
            FORWARDED_ALLOW_IPS=self.lb.ip,
            PROMETHEUS_MULTIPROC_DIR=str(metrics),
        )
        return env

    def setup_env(self) -> dict[str, str]:
        """For migrations, seeding and checks run from the machine itself."""
        env = self.base_env("setup")
        env["DATABASE_URL"] = self.direct_database_url
        env["DB_PREPARED_STATEMENTS"] = "true"
        return env

    def _spawn(self, key: str, host: str, argv: list[str], env: dict) -> Proc:
        old = self.procs.get(key)
        if old and old.alive():
            raise RuntimeError(f"{key} is already running")
        proc = Proc(key, self.host(host), argv, env, self.workdir / f"{key}.out")
        self.procs[key] = proc
        return proc

    # Data host ---------------------------------------------------------------------
    def start_redis(self) -> Proc:
        proc = self._spawn(
            "redis",
            "data",
            ["redis-server", "--bind", self.data.ip, "--port", "6379", "--save", "",
             "--appendonly", "no", "--protected-mode", "no"],
            dict(os.environ),
        )
        if not wait_until(lambda: self._port_open(self.data.ip, 6379), 10):
            raise RuntimeError(f"redis did not start: {proc.tail()}")
        return proc

    def start_pgbouncer(self) -> Proc:
        if self.private_dir is None:
            import pwd

            self.private_dir = Path(tempfile.mkdtemp(prefix=f"{self.net.tag}-pgbouncer-"))
            account = pwd.getpwnam(self.pg_user)
            os.chown(self.private_dir, account.pw_uid, account.pw_gid)
            auth = self.private_dir / "userlist.txt"
            auth.write_text(f'"{self.pg_user}" ""\n')
            _render(
                "pgbouncer.ini.template",
                self.private_dir / "pgbouncer.ini",
                dbname=self.database,
                pg_host=self.pg_socket,
                pg_port="5432",
                pg_user=self.pg_user,
                listen_ip=self.data.ip,
                listen_port=str(PGBOUNCER_PORT),
                auth_file=str(auth),
                pool_size=str(self.pool_size),
            )
            for path in self.private_dir.iterdir():
                os.chown(path, account.pw_uid, account.pw_gid)
        # pgbouncer refuses to run as root: -u drops to the PostgreSQL user.
        proc = self._spawn(
            "pgbouncer",
            "data",
            ["pgbouncer", "-u", self.pg_user, str(self.private_dir / "pgbouncer.ini")],
            dict(os.environ),
        )
        if not wait_until(lambda: self._port_open(self.data.ip, PGBOUNCER_PORT), 10):
            raise RuntimeError(f"pgbouncer did not start: {proc.tail()}")
        return proc

    @staticmethod
    def _port_open(ip: str, port: int) -> bool:
        with socket.create_connection((ip, port), timeout=0.5):
            return True

    # App hosts ---------------------------------------------------------------------
    def start_app(self, name: str, *, wait: bool = True) -> Proc:
        proc = self._spawn(
            f"gunicorn-{name}", name, [str(BIN / "gunicorn"), "wsgi:app"], self.app_env(name)
        )
        if wait:
            self.wait_app(name)
        return proc

    def wait_app(self, name: str, seconds: float = 60) -> None:
        proc = self.procs[f"gunicorn-{name}"]
        ip = self.host(name).ip

        def ready() -> bool:
            if not proc.alive():
                raise RuntimeError(f"gunicorn on {name} exited: {proc.tail()}")
            return http_get(ip, APP_PORT, "/readyz")[0] == 200

        if not wait_until(ready, seconds, 0.2):
            raise RuntimeError(f"gunicorn on {name} not ready: {proc.tail()}")

    def gunicorn(self, name: str) -> Proc:
        return self.procs[f"gunicorn-{name}"]

    def start_worker(self, name: str = "app1") -> Proc:
        return self._spawn(
            f"worker-{name}",
            name,
            [str(BIN / "celery"), "-A", "banking.worker", "worker", "--loglevel", "INFO",
             "--concurrency", "1", "--hostname", f"worker@{name}"],
            self.base_env(f"worker-{name}"),
        )

    def start_beat(self, name: str = "app1") -> Proc:
        return self._spawn(
            f"beat-{name}",
            name,
            [str(BIN / "celery"), "-A", "banking.worker", "beat", "--loglevel", "INFO",
             "--schedule", str(self.workdir / f"beat-{name}.db")],
            self.base_env(f"beat-{name}"),
        )

    def flask(self, name: str, *args: str, timeout: float = 120) -> subprocess.Popen:
        """Start `flask --app wsgi ARGS` on app host `name` (with that host's settings)."""
        out = self.workdir / f"flask-{name}-{time.monotonic_ns()}.out"
        with out.open("wb") as handle:
            return subprocess.Popen(
                ["ip", "netns", "exec", self.host(name).ns, str(BIN / "flask"), "--app", "wsgi",
                 *args],
                cwd=ROOT, env=self.base_env(f"flask-{name}"), stdout=handle,
                stderr=subprocess.STDOUT,
            )

    # Balancer ----------------------------------------------------------------------
    @property
    def stats_socket(self) -> Path:
        return self.workdir / "haproxy.sock"

    def start_haproxy(self) -> Proc:
        servers = "\n".join(
            f"    server {h.name} {h.ip}:{APP_PORT}" for h in self.apps
        )
        config = _render(
            "haproxy.cfg.template",
            self.workdir / "haproxy.cfg",
            stats_socket=str(self.stats_socket),
            errors=str(HERE / "errors"),
            lb_ip=self.lb.ip,
            public_host=PUBLIC_HOST,
            server_maxconn=str(self.workers),
            servers=servers,
        )
        check = subprocess.run(
            ["haproxy", "-c", "-f", str(config)], capture_output=True, text=True, check=False
        )
        if check.returncode != 0:
            raise RuntimeError(f"haproxy config refused: {check.stdout}{check.stderr}")
        return self._spawn("haproxy", "lb", ["haproxy", "-db", "-f", str(config)], dict(os.environ))

    def rolling_restart(self, pause: float = 0.5) -> list[dict]:
        """Restart every app host in turn, the way a deploy does, with no request lost:
        drain it at the balancer, wait until it has nothing in flight, SIGTERM gunicorn
        (graceful), start it again, wait for its /readyz, and put it back."""
        steps = []
        for host in self.apps:
            began = time.monotonic()
            self.drain(host.name)
            wait_until(lambda h=host.name: self.in_flight(h) == 0, 30, 0.05)
            code = self.gunicorn(host.name).stop(signal.SIGTERM, timeout=30)
            self.start_app(host.name)
            self.undrain(host.name)
            self.wait_balanced({host.name})
            steps.append(
                {"host": host.name, "exit": code, "seconds": round(time.monotonic() - began, 1)}
            )
            time.sleep(pause)
        return steps

    # Checks --------------------------------------------------------------------------
    def pg_connections(self) -> dict[str, int]:
        """PostgreSQL's own count of connections to this cluster's database, by state."""
        import psycopg

        with psycopg.connect(
            f"dbname=postgres host={self.pg_socket} user={self.pg_user}", autocommit=True
        ) as conn:
            rows = conn.execute(
                "SELECT coalesce(state, 'none'), count(*) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid() GROUP BY 1",
                (self.database,),
            ).fetchall()
        counts = {state: int(n) for state, n in rows}
        counts["total"] = sum(counts.values())
        return counts


def stop_all() -> None:
    """Stop every cluster this process started (atexit, SIGTERM, a fixture's finally)."""
    for cluster in list(_LIVE):
        cluster.stop()


def stop_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so `finally` blocks and atexit run before we go."""

    def handler(_signum, _frame) -> None:
        raise SystemExit(143)

    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, handler)


atexit.register(stop_all)
