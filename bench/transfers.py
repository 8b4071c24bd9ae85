"""The HTTP transfer load: wrk posting the transfer confirmation, one customer per thread.

The baseline (pgbench) is a C client, so the app's side is driven from C too: the
Python clients this replaces spent ~0.55 ms of CPU per transfer, a tenth of a 2-CPU
machine that the app and PostgreSQL need. Python only sets up: it signs each client's
customer in over HTTP, reads the CSRF token from the pay page, and writes one line per
client for bench/lua/transfer.lua. wrk then runs one thread with one connection per
client, each posting the confirm form exactly as the page would (a random other
customer's account, 1 cent, a fresh idempotency key each time) and timing it.

A 302 to the transfer's result page is a transfer made; anything else is an error,
counted by kind ("500", "302 /auth/login", or wrk's socket errors: "read", "timeout"…).
wrk's latencies cover every answer, errors included (there are normally none).

The same script and client lines drive baseline (c), bench/ceiling_app.py: pgbench's
transfer behind the smallest Flask app (`run_ceiling_load`).
"""

from __future__ import annotations

import secrets
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from bench.web import find_form, sign_in
from bench.wrk import WrkError, ensure_wrk, report_json, wrk_command

CONFIRM_PATH = "/transfers/confirm"
PAY_PATH = "/transfers/pay"
LUA_SCRIPT = Path(__file__).resolve().parent / "lua" / "transfer.lua"
SOCKET_ERRORS = {
    "connect_errors": "connect",
    "read_errors": "read",
    "write_errors": "write",
    "timeouts": "timeout",
}


@dataclass(frozen=True)
class Client:
    """One signed-in customer: their session, the source account, whom they pay."""

    cookie: str
    csrf: str
    source_id: int
    destinations: list[str]


def plan_pairs(users: list[dict], clients: int) -> list[tuple[dict, list[str]]]:
    """For each client: the customer it signs in as, and the account numbers it pays.

    Client i is user i mod len(users); it pays any of the other users' accounts (pure).
    """
    numbers = [user["number"] for user in users]
    plan = []
    for index in range(clients):
        user = users[index % len(users)]
        plan.append((user, [n for n in numbers if n != user["number"]]))
    return plan


def key_prefix(run_nonce: str, index: int) -> str:
    """The first 24 hex digits of a client's idempotency keys, as a version-4 UUID.

    `run_nonce` (14 random hex digits per run) keeps this run's keys apart from every
    earlier run's (a reused key would be a replay, not a transfer); `index` keeps the
    threads' keys apart; the Lua script appends a 12-digit counter (pure; unit-tested).
    """
    if len(run_nonce) != 14 or index >= 0x10000:
        raise ValueError("run_nonce is 14 hex digits and index < 65536")
    n = run_nonce
    return f"{n[:8]}-{index:04x}-4{n[8:11]}-8{n[11:14]}-"


def client_lines(clients: list[Client], run_nonce: str) -> str:
    """The client file that bench/lua/transfer.lua reads, one line per thread (pure)."""
    lines = []
    for index, client in enumerate(clients):
        body = urlencode(
            {
                "csrf_token": client.csrf,
                "flow": "pay",
                "from_account": str(client.source_id),
                "amount": "0.01",
                "memo": "bench",
            }
        )
        numbers = ",".join(client.destinations)
        for part in (client.cookie, body, numbers):
            if "\t" in part or "\n" in part:
                raise ValueError(f"client {index}: a tab or newline would break the file")
        lines.append(f"{client.cookie}\t{body}\t{key_prefix(run_nonce, index)}\t{numbers}\n")
    return "".join(lines)


def transfer_figures(raw: dict) -> dict:
    """The scenario's figures from transfer.lua's report (pure; unit-tested).

    Errors by kind: each non-transfer answer as the script classed it, plus wrk's
    socket errors (a 4xx/5xx answer is already a kind: wrk's `status` count is not added).
    """
    kinds = dict(raw["kinds"])
    for field, kind in SOCKET_ERRORS.items():
        if raw[field]:
            kinds[kind] = kinds.get(kind, 0) + raw[field]
    seconds = raw["duration_us"] / 1_000_000 or 1
    return {
        "clients": raw["threads"],
        "duration_s": round(seconds, 3),
        "transfers": raw["made"],
        "tps": round(raw["made"] / seconds, 1),
        "errors": sum(kinds.values()),
        "error_kinds": kinds,
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p95_ms": round(raw["p95_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
    }


def signed_in_client(base_url: str, email: str, password: str, user: dict, numbers) -> Client:
    """Sign in over HTTP and read the session's CSRF token from the pay page's form."""
    session = sign_in(base_url, email, password)
    try:
        status, _headers, body = session.get(PAY_PATH)
        if status != 200:
            raise RuntimeError(f"GET {PAY_PATH} as {email} answered {status}")
        csrf = find_form(body.decode(), with_field="csrf_token").fields["csrf_token"]
        return Client(session.cookie_header(), csrf, user["account_id"], list(numbers))
    finally:
        session.close()


def run_transfer_load(
    base_url: str,
    users: list[dict],
    password: str,
    *,
    clients: int,
    duration_s: float,
    out_dir: Path,
    label: str = "transfers",
    before_window=None,
) -> dict:
    """Drive transfers from `clients` wrk threads for `duration_s`; figures for the report.

    `before_window` (if given) is called once every client is signed in, right before
    wrk starts: the runner's CHECKPOINT and counter snapshot.
    """
    ensure_wrk()
    plan = plan_pairs(users, clients)
    with ThreadPoolExecutor(max_workers=min(clients, 16)) as pool:
        signed = list(
            pool.map(
                lambda pair: signed_in_client(
                    base_url, pair[0]["email"], password, pair[0], pair[1]
                ),
                plan,
            )
        )
    figures = drive_clients(base_url, signed, duration_s, out_dir, label, before_window)
    return {**figures, "accounts": len(users)}


def ceiling_clients(accounts: int, clients: int) -> list[Client]:
    """The ceiling's clients (bench/ceiling_app.py), shaped like the app's: client i sends
    from raw account i mod `accounts` + 1 to any other (no sign-in, no token; pure)."""
    ids = list(range(1, accounts + 1))
    return [
        Client("", "-", ids[i % accounts], [str(n) for n in ids if n != ids[i % accounts]])
        for i in range(clients)
    ]


def run_ceiling_load(
    base_url: str,
    *,
    accounts: int,
    clients: int,
    duration_s: float,
    out_dir: Path,
    label: str = "ceiling",
    before_window=None,
) -> dict:
    """Baseline (c): the same wrk script and client lines against bench/ceiling_app.py."""
    ensure_wrk()
    figures = drive_clients(
        base_url, ceiling_clients(accounts, clients), duration_s, out_dir, label, before_window
    )
    return {**figures, "accounts": accounts}


def drive_clients(
    base_url: str,
    clients: list[Client],
    duration_s: float,
    out_dir: Path,
    label: str,
    before_window,
) -> dict:
    """One wrk thread and connection per client posting the confirm form for `duration_s`."""
    client_file = out_dir / f"{label}-clients.tsv"
    client_file.write_text(client_lines(clients, secrets.token_hex(7)))
    command = wrk_command(
        base_url + CONFIRM_PATH,
        connections=len(clients),
        threads=len(clients),
        duration_s=duration_s,
        script=LUA_SCRIPT,
        script_args=(str(client_file),),
    )
    try:
        if before_window:
            before_window()
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=duration_s + 60, check=False
        )
    finally:
        client_file.unlink(missing_ok=True)  # live session cookies: not left lying about
    output = completed.stdout + completed.stderr
    (out_dir / f"wrk-{label}.log").write_text(output)
    if completed.returncode != 0:
        raise WrkError(f"wrk exited {completed.returncode}: {output[-2000:]}")
    figures = transfer_figures(report_json(completed.stdout))
    if not figures["transfers"] and not figures["errors"]:
        raise RuntimeError("the transfer clients made no request at all")
    return {**figures, "requested_duration_s": duration_s, "load_client": "wrk"}
