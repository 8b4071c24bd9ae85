"""The checkpoint/WAL counters around a measured window, and how the report shows them."""

from bench.pgstats import (
    FIELDS,
    SNAPSHOT_SQL,
    cpu_delta,
    cpu_times,
    window_cell,
    window_delta,
)
from bench.report import render_markdown

BEFORE = dict.fromkeys(FIELDS, 100)
AFTER = {
    **BEFORE,
    "checkpoints_req": 101,
    "wal_fpi": 150,
    "wal_lsn_bytes": 100 + 3 * 1_048_576,
    "buffers_backend": 1_300,
}


def test_the_snapshot_reads_every_counter_the_window_reports():
    for name in FIELDS:
        assert f"'{name}'" in SNAPSHOT_SQL
    assert "pg_stat_bgwriter" in SNAPSHOT_SQL and "pg_stat_wal" in SNAPSHOT_SQL


def test_the_window_is_the_difference_of_two_snapshots():
    delta = window_delta(BEFORE, AFTER)
    assert delta["checkpoints_req"] == 1
    assert delta["checkpoints_timed"] == 0
    assert delta["wal_fpi"] == 50
    assert delta["buffers_backend"] == 1_200
    assert set(delta) == set(FIELDS)


def test_the_cell_shows_checkpoints_wal_fpi_per_transfer_and_backend_writes():
    cell = window_cell(window_delta(BEFORE, AFTER), transfers=100)
    assert cell == "ckpt 1 req/0 timed; WAL 3.0 MB; FPI/tx 0.50; backend writes 1,200"
    assert window_cell(None, 100) == "–"
    assert window_cell({"error": "psql failed"}, 100) == "–"
    assert "FPI/tx –" in window_cell(window_delta(BEFORE, AFTER), transfers=0)


def test_transfer_and_library_tables_carry_the_window_column():
    window = window_delta(BEFORE, AFTER)
    app = {
        "accounts": 10,
        "tps": 400.0,
        "transfers": 100,
        "errors": 0,
        "p50_ms": 5,
        "p95_ms": 9,
        "p99_ms": 12,
        "load_client": "wrk",
        "tps_ratio_vs_pgbench": 0.2,
        "pg_window": window,
    }
    library_run = {**app, "threads": 16, "processes": 1, "error_kinds": {}}
    results = {
        "settings": {"quick": True, "transfer_clients": 16},
        "scenarios": {
            "transfers_hot_app": app,
            "library_posting": {
                "runs": {"library_hot_16x1": library_run},
                "latency": {
                    "big": {"transfers": 50},
                    "small": {"transfers": 50},
                    "pg_window": window,
                },
            },
        },
    }
    text = render_markdown(results)
    cell = "ckpt 1 req/0 timed; WAL 3.0 MB; FPI/tx 0.50; backend writes 1,200"
    assert f"| transfers_hot_app (10 accounts) | 400 | 5 | 9 | 12 | 0 | {cell} |" in text
    library_row = next(ln for ln in text.splitlines() if ln.startswith("| library_hot_16x1 ("))
    assert library_row.endswith(f"| {cell} |")
    assert f"- PostgreSQL in the window: {cell}" in text
    assert "16 wrk threads of one connection each" in text
    assert "right after a CHECKPOINT" in text


def test_the_cell_shows_the_mean_wal_sync_time_during_the_window_when_it_was_timed():
    timed = {**window_delta(BEFORE, AFTER), "wal_sync": 400, "wal_sync_us": 3_300_000}
    assert window_cell(timed, transfers=100).endswith("; WAL sync 8.25 ms x 400")
    # track_wal_io_timing off: syncs counted, no time: nothing to say about the disk.
    untimed = {**window_delta(BEFORE, AFTER), "wal_sync": 400, "wal_sync_us": 0}
    assert "WAL sync" not in window_cell(untimed, transfers=100)


def test_the_cell_shows_the_commit_latency_measured_before_the_window():
    window = {**window_delta(BEFORE, AFTER), "commit_ms_before": 8.25}
    assert window_cell(window, transfers=100).endswith("; commit 8.25 ms before")
    assert "commit" not in window_cell(window_delta(BEFORE, AFTER), transfers=100)


STAT_BEFORE = "cpu  100 0 50 800 10 0 0 0 0 0\ncpu0 50 0 25 400 5 0 0 0 0 0\n"
STAT_AFTER = "cpu  400 0 150 900 30 0 0 20 0 0\ncpu0 200 0 75 450 15 0 0 10 0 0\n"


def test_the_machines_cpu_in_the_window_is_busy_iowait_and_steal_of_all_its_time():
    before, after = cpu_times(STAT_BEFORE), cpu_times(STAT_AFTER)
    assert before == [100, 0, 50, 800, 10, 0, 0, 0]
    # 300 user + 100 system + 100 idle + 20 iowait + 20 steal = 540 ticks in the window
    assert cpu_delta(before, after) == {
        "cpu_busy_pct": round(100 * 420 / 540, 1),
        "cpu_iowait_pct": round(100 * 20 / 540, 1),
        "cpu_steal_pct": round(100 * 20 / 540, 1),
    }
    assert cpu_delta([], after) == {} and cpu_times("intr 1 2") == []


def test_the_cell_shows_the_machines_cpu_during_the_window():
    window = {**window_delta(BEFORE, AFTER), "commit_ms_before": 0.3}
    window |= cpu_delta(cpu_times(STAT_BEFORE), cpu_times(STAT_AFTER))
    assert window_cell(window, transfers=100).endswith(
        "; commit 0.3 ms before; CPU busy 77.8 % (steal 3.7 %, iowait 3.7 %)"
    )
