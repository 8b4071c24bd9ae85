"""Running wrk (the load generator for the pages; bench/transfers.py runs it for the
transfer POSTs with its own script) and reading its answer.

wrk runs in its own process; bench/lua/report.lua makes it print one `BENCH_JSON`
line with p50/p95/p99 and a count of non-2xx answers (wrk alone ignores redirects,
so a lost session that bounces to the sign-in page would look like success), and makes
each wrk thread keep the cookies the app sets, as a browser does.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from bench.web import USER_AGENT

LUA_SCRIPT = Path(__file__).resolve().parent / "lua" / "report.lua"
MARKER = "BENCH_JSON "


class WrkError(RuntimeError):
    """wrk could not run or printed nothing we can read: the harness is broken."""


def ensure_wrk() -> str:
    """The wrk binary, installed from the Debian package if missing."""
    path = shutil.which("wrk")
    if path:
        return path
    subprocess.run(["apt-get", "install", "-y", "wrk"], check=False, capture_output=True)
    path = shutil.which("wrk")
    if not path:
        raise WrkError("wrk is not installed and `apt-get install -y wrk` did not install it")
    return path


def wrk_command(
    url: str,
    *,
    connections: int,
    duration_s: float,
    threads: int | None = None,
    cookie: str | None = None,
    timeout_s: int = 10,
    script: Path = LUA_SCRIPT,
    script_args: tuple[str, ...] = (),
) -> list[str]:
    """The wrk argv for one run (pure; unit-tested); `script_args` go to the script's init()."""
    threads = threads or min(2, connections)
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration_s))}s",
        f"--timeout={timeout_s}s",
        "--latency",
        "-s",
        str(script),
        "-H",
        f"User-Agent: {USER_AGENT}",
    ]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    return command


def report_json(text: str) -> dict:
    """The JSON that a bench Lua script's done() printed after MARKER (pure)."""
    line = next((ln for ln in text.splitlines() if ln.startswith(MARKER)), None)
    if line is None:
        raise WrkError(f"no {MARKER.strip()} line in wrk output:\n{text[-2000:]}")
    return json.loads(line[len(MARKER) :])


def parse_wrk_output(text: str) -> dict:
    """Figures from wrk's output: the Lua JSON line plus derived rates and error counts."""
    raw = report_json(text)
    seconds = raw["duration_us"] / 1_000_000 or 1
    errors = (
        raw["connect_errors"]
        + raw["read_errors"]
        + raw["write_errors"]
        + raw["timeouts"]
        + raw["non2xx"]
    )
    return {
        "requests": raw["requests"],
        "duration_s": round(seconds, 3),
        "rps": round(raw["requests"] / seconds, 1),
        "errors": errors,
        "non2xx": raw["non2xx"],
        "socket_errors": {
            "connect": raw["connect_errors"],
            "read": raw["read_errors"],
            "write": raw["write_errors"],
            "timeout": raw["timeouts"],
        },
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p75_ms": round(raw["p75_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p95_ms": round(raw["p95_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "mean_ms": round(raw["mean_us"] / 1000, 2),
        # Set-Cookie answers that changed a wrk thread's cookie (it keeps them as a
        # browser does): a signed-in page re-signs the session about every 15 s.
        "cookie_updates": raw.get("cookie_updates", 0),
    }


def run_wrk(
    url: str,
    *,
    connections: int,
    duration_s: float,
    cookie: str | None = None,
    log_path: Path | None = None,
) -> dict:
    """Run wrk to completion in a separate process and return its parsed figures."""
    ensure_wrk()
    command = wrk_command(url, connections=connections, duration_s=duration_s, cookie=cookie)
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=duration_s + 60, check=False
    )
    output = completed.stdout + completed.stderr
    if log_path:
        log_path.write_text(output)
    if completed.returncode != 0:
        raise WrkError(f"wrk exited {completed.returncode}: {output[-2000:]}")
    result = parse_wrk_output(completed.stdout)
    if result["requests"] == 0:
        raise WrkError(f"wrk made 0 requests against {url}")
    result["connections"] = connections
    return result
