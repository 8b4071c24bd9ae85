"""The library-posting targets and report section (bench.library via runner.library_posting)."""

from bench.report import render_markdown
from bench.targets import target_checks


def _results(ratio=0.5, errors=0, big_over_small=1.02, clean=True):
    run = {
        "threads": 16,
        "processes": 1,
        "accounts": 1000,
        "tps": 500.0,
        "pgbench_tps": 1000.0,
        "tps_ratio_vs_pgbench": ratio,
        "errors": errors,
        "error_kinds": {"RetriesExhausted": errors} if errors else {},
        "cpu_ms_per_transfer": 1.7,
        "p50_ms": 20.0,
        "p99_ms": 90.0,
    }
    return {
        "settings": {"quick": True},
        "scenarios": {
            "library_posting": {
                "runs": {"library_spread_16x1": run, "library_hot_8x2": {"error": "boom"}},
                "latency": {
                    "big": {"transfers": 100, "p50_ms": 10.2, "p99_ms": 30.0},
                    "small": {"transfers": 100, "p50_ms": 10.0, "p99_ms": 31.0},
                    "p50_ratio_big_over_small": big_over_small,
                },
            },
            "ledger_verify_after_library": {"clean": clean, "output": "OK"},
        },
    }


def test_library_targets_are_checked_against_pgbench_errors_history_and_verify():
    checks = {c["target"]: c["met"] for c in target_checks(_results())}
    assert checks["library_spread_16x1 vs pgbench"] is True
    assert checks["library_spread_16x1 errors"] is True
    assert checks["posting p50: 1M-entry / 1k-entry account"] is True
    assert checks["ledger verify after library posting"] is True
    assert checks["library_hot_8x2: ran"] is False  # a run that failed is a missed target


def test_library_targets_missed_are_reported():
    checks = {
        c["target"]: c["met"]
        for c in target_checks(_results(ratio=0.2, errors=3, big_over_small=2.0, clean=False))
    }
    assert checks["library_spread_16x1 vs pgbench"] is False
    assert checks["library_spread_16x1 errors"] is False
    assert checks["posting p50: 1M-entry / 1k-entry account"] is False
    assert checks["ledger verify after library posting"] is False


def test_library_section_is_rendered():
    text = render_markdown(_results())
    assert "## The ledger as a library" in text
    assert "| library_spread_16x1 (1000 accounts) | 500 | 1,000 | 0.5 |" in text
    assert "p50 ratio big/small: 1.02" in text


def test_each_library_run_shows_the_pgbench_window_measured_right_before_it():
    results = _results()
    run = results["scenarios"]["library_posting"]["runs"]["library_spread_16x1"]
    run["pgbench"] = {
        "tps": 1000.0,
        "transactions": 15000,
        "p50_ms": 3.2,
        "pg_window": {
            "checkpoints_req": 0,
            "checkpoints_timed": 0,
            "wal_bytes": 10_000_000,
            "wal_fpi": 30,
            "buffers_backend": 0,
            "wal_sync": 5000,
            "wal_sync_us": 4_000_000,
        },
    }
    text = render_markdown(results)
    assert "pgbench window is measured right before it" in text
    line = next(ln for ln in text.splitlines() if ln.startswith("- library_spread_16x1: "))
    assert "1,000 tps" in line and "p50 3.2 ms" in line and "WAL sync 0.80 ms x 5,000" in line
