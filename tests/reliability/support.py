"""Shared machinery for the load and fault tests: databases, gunicorn, a cookie-keeping
HTTP client, and the checks that prove no money was lost.

Everything here talks to real processes: gunicorn with the production config, PostgreSQL
(a fresh `banking_rel_*` database per test on TEST_DATABASE_URL's server) and Redis. The
HTTP client is `http.client` with a hand-kept Cookie header, because production cookies
are `Secure` and a normal cookie jar would not send them over http://127.0.0.1.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from tests.support.services import REQUIRE_SERVICES, TEST_DATABASE_URL, TEST_REDIS_URL

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECRET = "reliability-secret-" + "k" * 32
PASSWORD = "reliability passphrase 2025"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def require_services() -> None:
    """PostgreSQL and Redis, or skip (fail under REQUIRE_SERVICE_TESTS=1, as in CI)."""
    ok = TEST_DATABASE_URL.startswith("postgres") and bool(TEST_REDIS_URL)
    if ok:
        return
    if REQUIRE_SERVICES:
        pytest.fail("reliability tests need TEST_DATABASE_URL (PostgreSQL) and TEST_REDIS_URL")
    pytest.skip("reliability tests need TEST_DATABASE_URL (PostgreSQL) and TEST_REDIS_URL")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Databases ---------------------------------------------------------------------------
def _with_db(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def fresh_database(name: str) -> str:
    """Drop and create `banking_rel_<name>` on the test server; return its URL."""
    assert re.fullmatch(r"[a-z0-9_]+", name)
    dbname = f"banking_rel_{name}"
    admin = _with_db(_plain(TEST_DATABASE_URL), "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{dbname}"')
    return _with_db(_plain(TEST_DATABASE_URL), dbname)


def redis_url(db_number: int) -> str:
    """TEST_REDIS_URL's server with a database number of our own."""
    parts = urllib.parse.urlsplit(TEST_REDIS_URL)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{db_number}"))


def production_env(database_url: str, redis: str, log_file: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PYTEST"))}
    env.update(
        APP_ENV="production",
        SECRET_KEY=SECRET,
        DATABASE_URL=database_url,
        REDIS_URL=redis,
        LOG_FILE=str(log_file),
        LOG_LEVEL="INFO",
        MAIL_BACKEND="log",
        PUBLIC_BASE_URL="https://bank.example.com",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        ADMIN_REQUIRES_2FA="false",
        # Cheaper argon2 than production's default: sign-ins are not what is measured.
        ARGON2_TIME_COST="1",
        ARGON2_MEMORY_COST="8192",
        CACHE_KEY_PREFIX=f"rel:{log_file.stem}:",
        **extra,
    )
    return env


def flask_cli(env: dict, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def migrate(env: dict) -> None:
    result = flask_cli(env, "db", "upgrade")
    assert result.returncode == 0, result.stderr[-2000:]


def seed_customers(env: dict, count: int, funding_cents: int) -> list[dict]:
    """`count` customers with one funded checking account each, through the ledger."""
    spec = json.dumps({"count": count, "funding": funding_cents, "password": PASSWORD})
    result = subprocess.run(
        [sys.executable, "-m", "tests.reliability.seeding", spec],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def verify_ledger_cli(env: dict) -> dict:
    """`flask ledger verify --json --deep` against the test database: the report, exit 0."""
    result = flask_cli(env, "ledger", "verify", "--json", "--deep")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    return json.loads(result.stdout[result.stdout.index("{") :])


@dataclass
class Books:
    customer_total: int
    all_total: int
    below_limit: list
    transactions: int


def books(database_url: str) -> Books:
    with psycopg.connect(database_url) as conn:
        customer_total = conn.execute(
            "SELECT COALESCE(SUM(balance), 0) FROM accounts WHERE owner_id IS NOT NULL"
        ).fetchone()[0]
        all_total = conn.execute("SELECT COALESCE(SUM(balance), 0) FROM accounts").fetchone()[0]
        below = conn.execute(
            "SELECT id, balance, overdraft_limit FROM accounts "
            "WHERE owner_id IS NOT NULL AND balance < -overdraft_limit"
        ).fetchall()
        count = conn.execute(
            "SELECT count(*) FROM journal_transactions WHERE kind = 'transfer'"
        ).fetchone()[0]
    return Books(int(customer_total), int(all_total), below, int(count))


def transactions_for_keys(database_url: str, keys: list[str]) -> dict[str, int]:
    """How many journal transactions each form key produced (the stored key embeds it)."""
    found: dict[str, int] = {}
    with psycopg.connect(database_url) as conn:
        for key in keys:
            found[key] = conn.execute(
                "SELECT count(*) FROM journal_transactions WHERE idempotency_key LIKE %s",
                (f"%{key}",),
            ).fetchone()[0]
    return found


def missing_transactions(database_url: str, ids: list[int]) -> list[int]:
    """The ids among `ids` with no journal transaction: answers that claimed a transfer."""
    with psycopg.connect(database_url) as conn:
        found = {
            row[0]
            for row in conn.execute(
                "SELECT id FROM journal_transactions WHERE id = ANY(%s)", (list(ids),)
            )
        }
    return sorted(set(ids) - found)


def terminate_backends(database_url: str, *, spare: int | None = None) -> int:
    """pg_terminate_backend every connection to the database (but `spare`, a backend pid)."""
    dbname = urllib.parse.urlsplit(database_url).path.lstrip("/")
    admin = _with_db(database_url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid() AND pid <> %s",
            (dbname, spare or 0),
        ).fetchall()
    return len(rows)


def backends_waiting_on_a_lock(database_url: str, *, spare: int) -> int:
    """Connections to the database (but `spare`) queued behind a row lock: requests in flight."""
    dbname = urllib.parse.urlsplit(database_url).path.lstrip("/")
    admin = _with_db(database_url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> %s AND wait_event_type = 'Lock'",
            (dbname, spare),
        ).fetchone()[0]


def backends_started_since(database_url: str, since) -> int:
    """Connections to the database opened after `since` (a PostgreSQL timestamp)."""
    dbname = urllib.parse.urlsplit(database_url).path.lstrip("/")
    admin = _with_db(database_url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid() AND backend_start > %s",
            (dbname, since),
        ).fetchone()[0]


# Figures ------------------------------------------------------------------------------
# Every reliability test records its figures here; they go to test-artifacts/reliability.json
# (rewritten after each test, so a partial or failing run keeps what it measured) and are
# printed in pytest's terminal summary (tests/reliability/conftest.py), so a green CI log
# shows them without -s.
FIGURES: dict[str, dict] = {}
FIGURES_FILE = ROOT / "test-artifacts" / "reliability.json"


def record_figures(name: str, figures: dict) -> None:
    FIGURES[name] = {**figures, "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    FIGURES_FILE.parent.mkdir(parents=True, exist_ok=True)
    FIGURES_FILE.write_text(json.dumps(FIGURES, indent=2, sort_keys=True) + "\n")


# gunicorn ----------------------------------------------------------------------------
@dataclass
class Server:
    env: dict
    workdir: Path
    workers: int = 4
    graceful_timeout: int = 30
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def log_file(self) -> Path:
        return Path(self.env["LOG_FILE"])

    @property
    def stdout_file(self) -> Path:
        return self.workdir / f"gunicorn-{self.port}.out"

    def start(self) -> Server:
        env = {
            **self.env,
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(self.workers),
            "GUNICORN_GRACEFUL_TIMEOUT": str(self.graceful_timeout),
            "GUNICORN_TIMEOUT": "60",
        }
        with self.stdout_file.open("ab") as out:
            self.process = subprocess.Popen(
                [str(BIN / "gunicorn"), "wsgi:app"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited: {self.stdout_file.read_text()[-2000:]}")
            with contextlib.suppress(OSError):
                status, _, _ = Browser(self.port, timeout=2).request("GET", "/healthz")
                if status == 200 and len(self.worker_pids()) >= self.workers:
                    return self
            time.sleep(0.2)
        raise AssertionError("gunicorn did not come up")

    def worker_pids(self) -> list[int]:
        """The master's children, from /proc."""
        assert self.process
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                pids.append(int(entry.name))
        return sorted(pids)

    def stop(self, timeout: float = 60) -> int | None:
        """SIGTERM (graceful); SIGKILL the group if it outlives `timeout`."""
        if not self.process:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        return self.process.returncode

    def log_lines(self) -> list[dict]:
        lines = []
        for path in (self.log_file, self.stdout_file):
            if not path.exists():
                continue
            for raw in path.read_text(errors="replace").splitlines():
                with contextlib.suppress(ValueError):
                    lines.append(json.loads(raw))
        return lines

    def count_log(self, message: str) -> int:
        """Lines with this message in the app's LOG_FILE (one per event, all workers)."""
        if not self.log_file.exists():
            return 0
        needle = json.dumps(message)
        return sum(
            1
            for raw in self.log_file.read_text(errors="replace").splitlines()
            if f'"message": {needle}' in raw
        )


# HTTP --------------------------------------------------------------------------------
class Headers(dict):
    """Response headers; names match in any case (HAProxy sends them lower-case)."""

    def _key(self, name):
        if dict.__contains__(self, name):
            return name
        lowered = str(name).lower()
        return next((k for k in self if k.lower() == lowered), name)

    def __getitem__(self, name):
        return dict.__getitem__(self, self._key(name))

    def __contains__(self, name) -> bool:
        return dict.__contains__(self, self._key(name))

    def get(self, name, default=None):
        return dict.get(self, self._key(name), default)


class Browser:
    """One visitor: a keep-alive http.client connection and the cookies the server set."""

    def __init__(
        self, port: int, timeout: float = 30, host: str = "127.0.0.1", headers=None
    ) -> None:
        self.port = port
        self.timeout = timeout
        # Another address (a host of tests/cluster); sent as the Host header too.
        self.host = host
        self.headers: dict[str, str] = dict(headers or {})
        self.cookies: dict[str, str] = {}
        self.raw_set_cookies: list[str] = []
        self.conn: http.client.HTTPConnection | None = None
        self.resends = 0  # requests sent again after an idle keep-alive connection dropped

    def clone(self) -> Browser:
        """Another connection with the same cookies (a second tab of the same session)."""
        other = Browser(self.port, self.timeout, self.host, self.headers)
        other.cookies = dict(self.cookies)
        return other

    def close(self) -> None:
        if self.conn:
            self.conn.close()
            self.conn = None

    def request(self, method: str, path: str, fields: dict | None = None):
        body = urllib.parse.urlencode(fields) if fields is not None else None
        headers = {"Host": self.host, "User-Agent": "reliability-tests", **self.headers}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        reused = self.conn is not None
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.close()
            if not reused:
                raise
            # The server closed this keep-alive connection while it sat idle (gunicorn's
            # keepalive timeout); like a browser, send the request again on a new one.
            # Counted: the load report shows how often, so a server that drops live
            # connections can't hide behind the resend.
            self.resends += 1
            return self.request(method, path, fields)
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        for header in response.headers.get_all("Set-Cookie") or []:
            self.raw_set_cookies.append(header)
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            lowered = header.lower()
            if "max-age=0" in lowered or "expires=thu, 01 jan 1970" in lowered or not value:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return response.status, Headers(response.headers), data.decode("utf-8", "replace")

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, fields: dict):
        return self.request("POST", path, fields)

    def csrf(self, path: str = "/auth/login") -> str:
        status, _, html = self.get(path)
        assert status == 200, (path, status)
        match = CSRF.search(html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)


def sign_in(browser: Browser, email: str, password: str = PASSWORD) -> None:
    token = browser.csrf("/auth/login")
    status, headers, body = browser.post(
        "/auth/login", {"csrf_token": token, "email": email, "password": password}
    )
    assert status == 302 and "/auth/login" not in headers.get("Location", ""), (status, body[:500])


def wait_for(predicate, seconds: float, step: float = 0.25) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, http.client.HTTPException):
            if predicate():
                return True
        time.sleep(step)
    return False
