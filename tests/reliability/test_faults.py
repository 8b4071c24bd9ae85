"""Faults under load: Redis dies, PostgreSQL connections die or the server vanishes,
a worker is SIGKILLed, the whole server is SIGTERMed. Each runs ~30-60 s against
production gunicorn with a second process driving transfers and page views, then
proves the books: verify_ledger clean (every journal transaction sums to zero, every
balance equals its entries), money conserved, nothing below its limit.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.reliability import support
from tests.reliability.proxy import TcpProxy

pytestmark = pytest.mark.slow

FUNDING = 50_000
ALLOWED_TRANSFER_STATUSES = {"302", "400", "503"}


def _stack(
    workdir: Path, name: str, redis: str, *, database_url: str | None = None, count=4, **extra
):
    """A fresh database (migrated, `count` funded customers) and the env to serve it."""
    real = support.fresh_database(name)
    setup_env = support.production_env(real, redis, workdir / f"{name}-setup.log")
    support.migrate(setup_env)
    customers = support.seed_customers(setup_env, count, FUNDING)
    env = support.production_env(database_url or real, redis, workdir / f"{name}.log", **extra)
    return real, setup_env, env, customers


def _prove_books(real_url: str, setup_env: dict, customers: list, *reports: dict) -> dict:
    books = support.books(real_url)
    assert books.customer_total == len(customers) * FUNDING
    assert books.all_total == 0
    assert books.below_limit == []
    support.verify_ledger_cli(setup_env)
    confirmed = 0
    for report in reports:
        # Every "transfer sent" redirect names a transaction that was committed: a fault
        # may cost an answer (503, cut connection), never produce a false success.
        assert not report["redirected_elsewhere"], report["redirected_elsewhere"]
        assert support.missing_transactions(real_url, report["confirmed_ids"]) == []
        confirmed += report["confirmed_transfers"]
    return {"transfers_in_db": books.transactions, "confirmed_transfers": confirmed}


def _check_load(report: dict, *, allowed_errors: set[str] = frozenset()) -> None:
    assert not report["unfriendly_5xx"], report["unfriendly_5xx"]
    assert set(report["statuses"]) <= ALLOWED_TRANSFER_STATUSES, report["statuses"]
    pages_ok = {"200", "503"} | ({"error"} if allowed_errors else set())
    assert set(report["page_statuses"]) <= pages_ok, report["page_statuses"]
    assert set(report["errors"]) <= allowed_errors, report["errors"]
    # A duplicate flow's step may fail only the way any page may: the friendly 503 (the
    # unfriendly_5xx check above proves it was the friendly page), or a cut connection
    # where those are allowed. A redirect, a 400 without a reason, a 500: never.
    flow_ok = {"503"} | ({"no answer"} if allowed_errors else set())
    outcomes = {key.rsplit(" -> ", 1)[1] for key in report["flow_errors"]}
    assert outcomes <= flow_ok, report["flow_errors"]
    assert report["statuses"].get("302", 0) > 0


def _json(browser: support.Browser, path: str):
    status, _, body = browser.get(path)
    return status, json.loads(body) if body.startswith("{") else body


def _show(name: str, figures: dict) -> None:
    """test-artifacts/reliability.json and the terminal summary (see conftest)."""
    support.record_figures(name, figures)


# Redis ------------------------------------------------------------------------------------
class RedisServer:
    def __init__(self, workdir: Path) -> None:
        self.port = support.free_port()
        self.workdir = workdir

    def start(self) -> None:
        subprocess.run(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "yes",
                "--pidfile",
                str(self.workdir / "redis.pid"),
                "--dir",
                str(self.workdir),
            ],
            check=True,
            timeout=10,
        )
        assert support.wait_for(lambda: self.ping(), 10)

    def ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    def kill(self) -> None:
        pidfile = self.workdir / "redis.pid"
        pid = int(pidfile.read_text())
        os.kill(pid, signal.SIGKILL)
        assert support.wait_for(lambda: not _alive(pid), 10)
        pidfile.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


LIMITER_PREFIX = "banking-rl"  # config.py RATELIMIT_KEY_PREFIX


def _limiter_keys(port: int) -> list[str]:
    """The rate limiter's counters in that Redis (the app's cache keys are not counted)."""
    import redis as redis_client

    connection = redis_client.Redis(host="127.0.0.1", port=port, socket_timeout=2)
    try:
        return [key.decode() for key in connection.scan_iter(match=f"*{LIMITER_PREFIX}*")]
    finally:
        connection.close()


def _failed_sign_in(port: int) -> int:
    """One wrong sign-in (an address no customer has: nobody gets locked out); its status."""
    attacker = support.Browser(port)
    token = attacker.csrf()
    status, _, _ = attacker.post(
        "/auth/login",
        {"csrf_token": token, "email": "nobody.at.all@example.com", "password": "wrong"},
    )
    attacker.close()
    return status


def _require_redis_server() -> None:
    if shutil.which("redis-server"):
        return
    if support.REQUIRE_SERVICES:
        pytest.fail("redis-server is required in this run (REQUIRE_SERVICE_TESTS=1)")
    pytest.skip("redis-server binary not installed")


def test_redis_dies_mid_run_pages_answer_and_everything_recovers(workdir, start_load):
    support.require_services()
    _require_redis_server()
    redis = RedisServer(workdir)
    redis.start()
    try:
        real, setup_env, env, customers = _stack(
            workdir,
            "redis",
            f"redis://127.0.0.1:{redis.port}/0",
            LOGIN_RATE_LIMIT="10/minute",
        )
        server = support.Server(env, workdir, workers=3).start()
        try:
            load = start_load(
                workdir,
                {
                    "port": server.port,
                    "customers": customers,
                    "clients": 4,
                    "duration": 45,
                    "page_every": 3,
                    "timeout": 20,
                },
            )
            load.wait_ready()
            time.sleep(6)
            watcher = support.Browser(server.port)
            support.sign_in(watcher, customers[0]["email"])
            assert _json(watcher, "/readyz")[0] == 200
            # Sign-ins are counted in Redis while it is up (the clients' own sign-ins).
            assert _limiter_keys(redis.port), "no rate-limit counter in Redis before the outage"

            redis.kill()
            status, body = _json(watcher, "/readyz")
            assert status == 503
            assert body["checks"] == {"database": "ok", "redis": "down", "broker": "down"}
            for path in ("/", "/transfers/pay", f"/accounts/{customers[0]['account_id']}/history"):
                assert watcher.get(path)[0] == 200, path
            # Sign-in throttling still bites, from the in-memory fallback (per worker).
            throttled = 0
            for _ in range(45):
                attacker = support.Browser(server.port)
                token = attacker.csrf()
                status, _, _ = attacker.post(
                    "/auth/login",
                    {"csrf_token": token, "email": customers[1]["email"], "password": "wrong"},
                )
                assert status in (200, 429), status
                throttled += status == 429
            assert throttled > 0
            time.sleep(5)

            redis.start()  # the same port, empty: the app reconnects by itself
            assert support.wait_for(lambda: _json(watcher, "/readyz")[0] == 200, 20)
            assert watcher.get("/")[0] == 200
            # Throttling counts in Redis again: the limiter re-checks its storage with a
            # backoff of up to 32 s per worker, so keep failing sign-ins until a counter
            # appears in the new, empty Redis.
            assert not _limiter_keys(redis.port)
            recovered_at = time.monotonic()
            assert support.wait_for(
                lambda: _failed_sign_in(server.port) in (200, 429) and _limiter_keys(redis.port),
                75,
                step=0.5,
            ), "sign-in throttling never wrote to Redis again after it came back"
            limiter_back_after = round(time.monotonic() - recovered_at, 1)
            report = load.result()
        finally:
            assert server.stop() == 0
    finally:
        with contextlib.suppress(Exception):
            redis.kill()
    _check_load(report)
    figures = _prove_books(real, setup_env, customers, report)
    _show(
        "redis outage",
        {
            **_summary(report),
            **figures,
            "throttled_during_outage": throttled,
            "limiter_in_redis_again_after_s": limiter_back_after,
        },
    )


def _summary(report: dict) -> dict:
    keep = (
        "requests",
        "transfers_ok",
        "seconds",
        "statuses",
        "page_statuses",
        "errors",
        "flow_errors",
        "keepalive_resends",
    )
    return {k: report[k] for k in keep}


# PostgreSQL -----------------------------------------------------------------------------
def test_postgres_connections_killed_mid_run_fail_friendly_and_the_pool_recovers(
    workdir, start_load
):
    support.require_services()
    real, setup_env, env, customers = _stack(workdir, "pgkill", support.redis_url(12))
    server = support.Server(env, workdir, workers=3).start()
    workers_before = server.worker_pids()
    killed = in_flight = 0
    try:
        load = start_load(
            workdir,
            {
                "port": server.port,
                "customers": customers,
                "clients": 6,
                "duration": 35,
                "page_every": 4,
                "dup_every": 10,
            },
        )
        load.wait_ready()
        for round_number in range(4):
            time.sleep(5)
            # Hold one customer's account row so the transfers touching it queue behind
            # the lock: requests certainly in flight, mid-transaction, when every app
            # connection is killed. Those must fail friendly (503), not hang or 500.
            account_id = customers[round_number % len(customers)]["account_id"]
            kill = _kill_backends_mid_request(real, account_id)
            killed += kill["killed"]
            in_flight += kill["in_flight"]
            last_kill_at = kill["at"]
        report = load.result()
        # No restart: the same workers answer again (the pool replaces dead connections).
        browser = support.Browser(server.port)
        support.sign_in(browser, customers[0]["email"])
        assert browser.get("/")[0] == 200
        assert _json(browser, "/readyz")[0] == 200
        workers_after = server.worker_pids()
        reconnected = support.backends_started_since(real, last_kill_at)
        database_errors = server.count_log("database unavailable")
    finally:
        assert server.stop() == 0
    figures = {
        **_summary(report),
        "backends_killed": killed,
        "requests_in_flight_at_kill": in_flight,
        "database_unavailable_logged": database_errors,
        "workers_unchanged": workers_after == workers_before,
        "backends_reopened": reconnected,
    }
    _show("pg backends killed", figures)  # before the checks: a failure keeps its figures
    assert killed > 0
    # The fault was hit: requests were waiting on the lock when their connection died,
    # the app logged it and the clients got the friendly 503.
    assert in_flight > 0
    assert database_errors > 0
    assert report["statuses"].get("503", 0) > 0, report["statuses"]
    # The pool recovered by itself: the same worker processes, on new connections.
    assert workers_after == workers_before, (workers_before, workers_after)
    assert reconnected > 0
    _check_load(report)
    _show("pg backends killed", {**figures, **_prove_books(real, setup_env, customers, report)})


def _kill_backends_mid_request(database_url: str, account_id: int) -> dict:
    """Lock an account row, wait for app requests to queue behind it, kill every app
    connection, release. Returns the killed count, how many were waiting, and when."""
    with psycopg.connect(database_url) as locker:
        locker.execute("SELECT id FROM accounts WHERE id = %s FOR UPDATE", (account_id,))
        mine = locker.info.backend_pid
        support.wait_for(lambda: support.backends_waiting_on_a_lock(database_url, spare=mine), 10)
        waiting = support.backends_waiting_on_a_lock(database_url, spare=mine)
        at = locker.execute("SELECT clock_timestamp()").fetchone()[0]
        killed = support.terminate_backends(database_url, spare=mine)
        locker.rollback()
    return {"killed": killed, "in_flight": waiting, "at": at}


def test_postgres_unreachable_briefly_fails_friendly_and_recovers(workdir, start_load):
    support.require_services()
    target = urllib.parse.urlsplit(support.TEST_DATABASE_URL)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432, support.free_port())
    proxy.start()
    real_name = "pgproxy"
    proxied = support._with_db(
        support._plain(support.TEST_DATABASE_URL).replace(
            f"{target.hostname}:{target.port or 5432}", f"127.0.0.1:{proxy.port}"
        ),
        f"banking_rel_{real_name}",
    )
    real, setup_env, env, customers = _stack(
        workdir, real_name, support.redis_url(13), database_url=proxied, DB_POOL_TIMEOUT="5"
    )
    server = support.Server(env, workdir, workers=3).start()
    try:
        load = start_load(
            workdir,
            {
                "port": server.port,
                "customers": customers,
                "clients": 6,
                "duration": 35,
                "page_every": 4,
                "dup_every": 10,
                "timeout": 30,
            },
        )
        load.wait_ready()
        page = support.Browser(server.port, timeout=15)
        support.sign_in(page, customers[0]["email"])
        time.sleep(6)
        proxy.stop()
        outage_began = time.monotonic()
        probe = support.Browser(server.port, timeout=15)
        status, body = _json(probe, "/readyz")
        assert status == 503 and body["checks"]["database"] == "down"
        # A page that reads the database answers the friendly 503. (Not the dashboard: a
        # cached one touches no database since issue 15, so it may still answer 200 from
        # Redis — with balances no commit can have changed during the outage.)
        history = f"/accounts/{customers[0]['account_id']}/history"
        status, _, html = page.get(history)
        assert status == 503 and "briefly unavailable" in html
        time.sleep(max(0.0, 6 - (time.monotonic() - outage_began)))
        proxy.start()
        assert support.wait_for(lambda: _json(probe, "/readyz")[0] == 200, 30)
        report = load.result()
        browser = support.Browser(server.port)
        support.sign_in(browser, customers[0]["email"])
        assert browser.get("/")[0] == 200
    finally:
        assert server.stop() == 0
        proxy.stop()
    _check_load(report)
    assert report["statuses"].get("503", 0) + report["page_statuses"].get("503", 0) > 0
    figures = _prove_books(real, setup_env, customers, report)
    _show("pg unreachable", {**_summary(report), **figures})


# Signals --------------------------------------------------------------------------------
def test_worker_sigkill_and_graceful_sigterm_leave_no_half_written_transfer(workdir, start_load):
    support.require_services()
    real, setup_env, env, everyone = _stack(workdir, "signals", support.redis_url(14), count=5)
    customers, bystander = everyone[:4], everyone[4]  # the load never touches the bystander
    server = support.Server(env, workdir, workers=3, graceful_timeout=20).start()
    try:
        load = start_load(
            workdir,
            {
                "port": server.port,
                "customers": customers,
                "clients": 6,
                "duration": 30,
                "page_every": 5,
                "timeout": 30,
            },
        )
        load.wait_ready()
        killed = []
        for _ in range(2):
            time.sleep(6)
            victim = server.worker_pids()[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
        report = load.result()
        # gunicorn replaced the dead workers.
        assert support.wait_for(
            lambda: len(set(server.worker_pids()) - set(killed)) == server.workers, 30
        )
        # A cut connection is what a client of a killed worker sees; never a 5xx.
        _check_load(
            report,
            allowed_errors={
                "RemoteDisconnected",
                "ConnectionResetError",
                "BadStatusLine",
                "IncompleteRead",
            },
        )

        # Graceful stop: a request in flight when SIGTERM arrives still gets its answer.
        second = start_load(
            workdir,
            {
                "port": server.port,
                "customers": customers,
                "clients": 4,
                "duration": 20,
                "timeout": 30,
            },
        )
        second.wait_ready()
        browser = support.Browser(server.port)
        support.sign_in(browser, bystander["email"])
        in_flight_key = str(uuid.uuid4())
        token = browser.csrf("/transfers/pay")
        body = urllib.parse.urlencode(
            {
                "csrf_token": token,
                "flow": "pay",
                "from_account": str(bystander["account_id"]),
                "to_number": customers[0]["number"],
                "amount": "1.23",
                "memo": "in flight",
                "idempotency_key": in_flight_key,
            }
        ).encode()
        cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
            head = (
                f"POST /transfers/confirm HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
                "User-Agent: reliability-tests\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            ).encode()
            sock.sendall(head + body[:10])  # a worker is now reading this request
            time.sleep(1)
            began = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            time.sleep(1)
            sock.sendall(body[10:])
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        status_line = answer.split(b"\r\n", 1)[0].decode()
        reasons = re.findall(rb'(?:role="alert"|field-error)[^>]*>\s*(?:<p>)?([^<]+)', answer)
        assert " 302 " in status_line, (status_line, reasons)
        assert b"/transfers/" in answer.split(b"\r\n\r\n", 1)[0]
        assert server.process.wait(timeout=server.graceful_timeout + 10) == 0
        stopped_in = time.monotonic() - began
        assert stopped_in < server.graceful_timeout + 5
        second_report = second.result()
    finally:
        server.stop()
    assert not second_report["unfriendly_5xx"]
    assert set(second_report["statuses"]) <= ALLOWED_TRANSFER_STATUSES
    assert support.transactions_for_keys(real, [in_flight_key]) == {in_flight_key: 1}
    figures = _prove_books(real, setup_env, everyone, report, second_report)
    _show(
        "signals",
        {
            **_summary(report),
            **figures,
            "workers_killed": len(killed),
            "sigterm_stop_seconds": round(stopped_in, 1),
            "after_sigterm": _summary(second_report),
        },
    )
