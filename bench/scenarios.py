"""The measured scenarios. Each returns plain figures; runner.py decides order and servers."""

from __future__ import annotations

import base64
import http.client
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from bench.pgbench import run_psql
from bench.procs import memory_of, worker_pids
from bench.stats import ratio
from bench.web import USER_AGENT, sign_in
from bench.wrk import WrkError, run_wrk


class ScenarioUnavailable(Exception):
    """The app has no such page yet (reported as skipped, not a harness failure)."""


def signed_in_cookie(base_url: str, email: str, password: str, check_path: str) -> str:
    """Sign in over HTTP and return the Cookie header, checked against `check_path`."""
    session = sign_in(base_url, email, password)
    status, headers, body = session.get(check_path)
    session.close()
    if status != 200:
        where = headers.get("Location", "")
        raise RuntimeError(f"signed-in GET {check_path} answered {status} {where}")
    if b"<form" in body and b'name="password"' in body:
        raise RuntimeError(f"signed-in GET {check_path} showed the sign-in form")
    return session.cookie_header()


def wrk_get(
    url: str, *, connections: int, duration_s: float, cookie: str | None, out_dir: Path, label: str
) -> dict:
    try:
        return run_wrk(
            url,
            connections=connections,
            duration_s=duration_s,
            cookie=cookie,
            log_path=out_dir / f"wrk-{label}.log",
        )
    except WrkError as exc:
        if "made 0 requests" not in str(exc):
            raise
    # Not one answer within the run: time a single request instead, so a page slower
    # than the run is reported with its latency; if that fails too, the harness is broken.
    return single_request(url, cookie, timeout_s=120)


def single_request(url: str, cookie: str | None, *, timeout_s: float) -> dict:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout_s)
    headers = {"User-Agent": USER_AGENT, **({"Cookie": cookie} if cookie else {})}
    began = time.perf_counter()
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
    except OSError as exc:
        raise RuntimeError(f"GET {path} got no answer within {timeout_s}s: {exc}") from exc
    finally:
        connection.close()
    elapsed_ms = round((time.perf_counter() - began) * 1000, 1)
    return {
        "requests": 1,
        "rps": round(1000 / elapsed_ms, 2),
        "errors": 0 if response.status == 200 else 1,
        "p50_ms": elapsed_ms,
        "p95_ms": elapsed_ms,
        "p99_ms": elapsed_ms,
        "note": "slower than the whole wrk run: one request timed on its own",
    }


ROUNDS = 3  # baseline/page pairs per measurement: the ratio is their median


def page_vs_baseline(
    app_url: str,
    baseline_url: str,
    cookie: str,
    *,
    path: str,
    page: str,
    connections: list[int],
    duration_s: float,
    out_dir: Path,
    label: str,
    rounds: int = ROUNDS,
) -> list[dict]:
    """Baseline (a) and one signed-in page, in interleaved pairs, at each concurrency.

    The machine's speed drifts by tens of percent over minutes (the same configuration
    measured twice in one run gave 0.28 and 0.25), so one baseline run followed by one
    page run measured the drift as much as the app. The time is split into `rounds`
    pairs (baseline, then page, each `duration_s / rounds`), each pair gives a ratio,
    and the reported ratio is their median; the figures shown (req/s, latencies) are
    those of the median pair, and every pair's ratio is kept (`round_ratios`).
    Each row holds the page's figures under the key `page` ("dashboard", ...).
    """
    rows = []
    rounds = max(1, rounds)
    slice_s = duration_s / rounds
    for conns in connections:
        pairs = []
        for n in range(rounds):
            base = wrk_get(
                baseline_url + "/",
                connections=conns,
                duration_s=slice_s,
                cookie=None,
                out_dir=out_dir,
                label=f"{label}-baseline-{page}-c{conns}-r{n}",
            )
            figures = wrk_get(
                app_url + path,
                connections=conns,
                duration_s=slice_s,
                cookie=cookie,
                out_dir=out_dir,
                label=f"{label}-{page}-c{conns}-r{n}",
            )
            pairs.append((ratio(figures["rps"], base["rps"]), base, figures))
        median = median_pair(pairs)
        rows.append(
            {
                "connections": conns,
                "baseline": median[1],
                page: median[2],
                "throughput_ratio": median[0],
                "round_ratios": [pair[0] for pair in pairs],
                # Every pair's errors count, not only the median pair's.
                "errors_all_rounds": sum(pair[2].get("errors", 0) for pair in pairs),
            }
        )
    return rows


def median_pair(pairs: list[tuple]) -> tuple:
    """The pair whose ratio is the median (the lower middle one for an even count; a
    pair without a ratio sorts first). Pure; unit-tested."""
    ordered = sorted(pairs, key=lambda pair: (pair[0] is not None, pair[0] or 0.0))
    return ordered[(len(ordered) - 1) // 2]


def dashboard_vs_baseline(app_url: str, baseline_url: str, cookie: str, **kwargs) -> list[dict]:
    """Baseline (a) then the signed-in dashboard (`/`), at each concurrency; with ratios."""
    return page_vs_baseline(app_url, baseline_url, cookie, path="/", page="dashboard", **kwargs)


def signed_in_pages(
    app_url: str,
    baseline_url: str,
    cookie: str,
    *,
    pages: dict[str, str],
    connections: int,
    duration_s: float,
    out_dir: Path,
) -> dict:
    """Other signed-in pages (name -> path) against baseline (a), like the dashboard.

    Each page is checked once first: a page that redirects to sign-in or fails would
    otherwise be measured as a fast stream of errors.
    """
    results = {}
    for page, path in pages.items():
        check = single_request(app_url + path, cookie, timeout_s=30)
        if check["errors"]:
            raise RuntimeError(f"signed-in GET {path} did not answer 200")
        (row,) = page_vs_baseline(
            app_url,
            baseline_url,
            cookie,
            path=path,
            page=page,
            connections=[connections],
            duration_s=duration_s,
            out_dir=out_dir,
            label="pages",
        )
        results[page] = {"path": path, **row}
    return results


def history_cursor(database_url: str, account_id: int, depth: int) -> str:
    """The keyset cursor the app would put in the link to the page starting at `depth`."""
    row = run_psql(
        database_url,
        "SELECT (extract(epoch FROM created_at) * 1000000)::bigint, id FROM entries "
        f"WHERE account_id = {int(account_id)} ORDER BY created_at DESC, id DESC "
        f"OFFSET {int(depth)} LIMIT 1",
    ).strip()
    micros, entry_id = row.split("|")
    raw = f"{micros}.{entry_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


HISTORY_FILTER = "direction=out&q=Coffee"
HISTORY_VARIANTS = ("page1", "deep", "page1_filtered", "deep_filtered")


def history_pages(
    app_url: str,
    cookies: dict[str, str],
    accounts: dict[str, dict],
    *,
    database_url: str,
    connections: int,
    duration_s: float,
    out_dir: Path,
    variants: tuple[str, ...] = HISTORY_VARIANTS,
) -> dict:
    """Page 1 and a deep page (90% down) of each account's history, with and without a
    filter; the figure that matters is the big account's p50 over the small one's."""
    runs: dict[str, dict] = {}
    for name, account in accounts.items():
        depth = int(account["entries"] * 0.9)
        cursor = history_cursor(database_url, account["account_id"], depth)
        base = f"{app_url}/accounts/{account['account_id']}/history"
        urls = {
            "page1": base,
            "deep": f"{base}?cursor={cursor}",
            "page1_filtered": f"{base}?{HISTORY_FILTER}",
            "deep_filtered": f"{base}?{HISTORY_FILTER}&cursor={cursor}",
        }
        for variant in variants:
            url = urls[variant]
            runs[f"{name}_{variant}"] = {
                "url": url.replace(app_url, ""),
                **wrk_get(
                    url,
                    connections=connections,
                    duration_s=duration_s,
                    cookie=cookies[name],
                    out_dir=out_dir,
                    label=f"history-{name}-{variant}",
                ),
            }
    ratios = {
        variant: ratio(runs[f"big_{variant}"]["p50_ms"], runs[f"small_{variant}"]["p50_ms"])
        for variant in variants
    }
    return {"connections": connections, "runs": runs, "p50_ratio_big_over_small": ratios}


def csv_export(app_url: str, cookie: str, account_id: int, master_pid: int) -> dict:
    """Stream the big account's CSV once; rows/s and the serving worker's peak RSS growth.

    Each worker's peak (VmHWM) is reset first (`5 > /proc/<pid>/clear_refs`), so the
    growth is this export's, not an earlier scenario's.
    """
    workers = worker_pids(master_pid)
    before = {}
    for pid in workers:
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
            reset = True
        except OSError:
            reset = False
        before[pid] = memory_of(pid)
    connection = http.client.HTTPConnection(
        app_url.split("//")[1].split(":")[0], int(app_url.rsplit(":", 1)[1]), timeout=600
    )
    began = time.perf_counter()
    connection.request(
        "GET",
        f"/accounts/{account_id}/history/export.csv",
        headers={"Cookie": cookie, "User-Agent": USER_AGENT},
    )
    response = connection.getresponse()
    if response.status != 200:
        raise RuntimeError(f"export answered {response.status}")
    first_byte = time.perf_counter() - began
    lines = 0
    size = 0
    cut_off = None
    try:
        while chunk := response.read(1 << 16):
            lines += chunk.count(b"\n")
            size += len(chunk)
    except (http.client.IncompleteRead, OSError) as exc:
        # The stream died part-way (e.g. gunicorn's worker timeout killed the worker):
        # a finding to report with what arrived, not a harness failure.
        cut_off = f"{type(exc).__name__} after {time.perf_counter() - began:.1f}s"
    elapsed = time.perf_counter() - began
    connection.close()
    growth = {}
    for pid in workers:
        after = memory_of(pid)
        if after and before.get(pid):
            growth[pid] = after.get("VmHWM", 0) - before[pid].get("VmRSS", 0)
    serving = max(growth, key=growth.get) if growth else None
    rows = max(lines - 1, 0)  # minus the header line
    return {
        "rows": rows,
        "complete": cut_off is None,
        "cut_off": cut_off,
        "bytes": size,
        "seconds": round(elapsed, 2),
        "time_to_first_byte_ms": round(first_byte * 1000, 1),
        "rows_per_s": round(rows / elapsed) if elapsed else None,
        "peak_rss_reset": reset if workers else False,
        "serving_worker_peak_growth_mb": round(growth[serving] / 2**20, 1) if serving else None,
        "worker_rss_before_mb": round(before[serving]["VmRSS"] / 2**20, 1) if serving else None,
    }


def worker_memory(master_pid: int) -> list[dict]:
    rows = []
    for pid in worker_pids(master_pid):
        memory = memory_of(pid)
        if memory:
            rows.append(
                {
                    "pid": pid,
                    "rss_mb": round(memory.get("VmRSS", 0) / 2**20, 1),
                    "peak_mb": round(memory.get("VmHWM", 0) / 2**20, 1),
                }
            )
    return rows


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
