"""The benchmark harness reads wrk, pgbench and /proc correctly (no timing here)."""

import pytest

from bench.pgbench import parse_pgbench_log_latencies, parse_pgbench_summary, pgbench_command
from bench.procs import parse_proc_status
from bench.wrk import WrkError, parse_wrk_output, wrk_command

WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:8000/
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    15.01ms    5.00ms  80.00ms   90.00%
  Latency Distribution
     50%   14.00ms
     99%   40.00ms
  5000 requests in 5.00s, 10.00MB read
Requests/sec:   1000.00
BENCH_JSON {"requests": 5000, "duration_us": 5000000, "bytes": 10485760, "non2xx": 3, \
"connect_errors": 0, "read_errors": 1, "write_errors": 0, "status_errors": 0, "timeouts": 2, \
"p50_us": 14000, "p75_us": 16000, "p90_us": 20000, "p95_us": 25000, "p99_us": 40000, \
"max_us": 80000, "mean_us": 15010.5}
"""

PGBENCH_OUTPUT = """transaction type: bench/out/pgbench_transfer.sql
scaling factor: 1
query mode: prepared
number of clients: 16
number of threads: 2
maximum number of tries: 1
duration: 5 s
number of transactions actually processed: 4433
number of failed transactions: 2 (0.045%)
latency average = 10.870 ms
initial connection time = 30.497 ms
tps = 1471.912470 (without initial connection time)
"""


def test_wrk_output_gives_rate_percentiles_and_every_kind_of_error():
    result = parse_wrk_output(WRK_OUTPUT)
    assert result["requests"] == 5000
    assert result["rps"] == 1000.0
    assert (result["p50_ms"], result["p95_ms"], result["p99_ms"]) == (14.0, 25.0, 40.0)
    assert result["errors"] == 6  # 3 non-2xx + 1 read error + 2 timeouts
    assert result["non2xx"] == 3


def test_wrk_output_without_the_report_line_is_a_harness_error():
    with pytest.raises(WrkError):
        parse_wrk_output("unable to connect to 127.0.0.1:8000 Connection refused")


def test_wrk_command_sends_the_session_cookie_and_the_lua_reporter():
    command = wrk_command("http://h/", connections=64, duration_s=5, cookie="s=abc")
    assert command[:4] == ["wrk", "-t2", "-c64", "-d5s"]
    assert "Cookie: s=abc" in command
    assert any(part.endswith("report.lua") for part in command)
    assert command[-1] == "http://h/"


def test_wrk_command_never_uses_more_threads_than_connections():
    assert wrk_command("http://h/", connections=1, duration_s=1)[1] == "-t1"


def test_pgbench_summary_gives_tps_transactions_and_failures():
    assert parse_pgbench_summary(PGBENCH_OUTPUT) == {
        "tps": 1471.9,
        "transactions": 4433,
        "failed": 2,
    }


def test_pgbench_log_latencies_are_the_third_field_in_microseconds():
    lines = ["0 1 5250 0 1700000000 123", "3 7 42000 0 1700000000 456", "garbage"]
    assert parse_pgbench_log_latencies(lines) == [0.00525, 0.042]


def test_pgbench_command_runs_the_script_at_the_given_concurrency():
    command = pgbench_command(
        "postgresql://db", "s.sql", clients=16, duration_s=5, accounts=10, log_prefix="/t/tx"
    )
    assert "-c16" in command and "-j2" in command and "-T5" in command
    assert "naccounts=10" in command
    assert command[-1] == "postgresql://db"


def test_proc_status_memory_is_read_in_bytes():
    text = "Name:\tgunicorn\nVmHWM:\t  120000 kB\nVmRSS:\t   98000 kB\nThreads:\t1\n"
    assert parse_proc_status(text) == {"VmHWM": 120000 * 1024, "VmRSS": 98000 * 1024}
