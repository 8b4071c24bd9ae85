"""PostgreSQL's checkpoint and WAL counters around a measured window.

Library posting once fell to half its throughput in one run with no change of code,
while requested (WAL-volume) checkpoints piled up: a checkpoint landing in one run's
window and not another's makes the two incomparable. So every transfer/library window
starts right after a `CHECKPOINT`, and what the checkpointer and the WAL did during the
window is recorded beside its figures (`pg_window` in results.json, a column in
RESULTS.md).

The counters are cluster-wide: on a shared machine another database's work shows too.
`pg_stat_wal` is fed by each backend at most once a second (an idle one within 10 s),
so its figures may miss the window's last second; `wal_lsn_bytes` (the WAL insert
position's advance) is exact.

The disk's flush latency is measured *during* each window too: `pg_stat_wal`'s WAL syncs
and their time (which PostgreSQL counts only with `track_wal_io_timing`, switched on for
the run by `wal_io_timing` and back off after it). A commit waits for its WAL flush, so
a window whose syncs averaged 8 ms cannot post as fast as one whose syncs took 0.2 ms,
whatever the code: the commit probe before the window showed such states only when
they happened to last until the window began.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

from bench.pgbench import run_psql

BGWRITER = ("checkpoints_timed", "checkpoints_req", "buffers_checkpoint", "buffers_backend")
WAL = ("wal_records", "wal_fpi", "wal_bytes", "wal_sync")
FIELDS = (*BGWRITER, *WAL, "wal_sync_us", "wal_lsn_bytes")

SNAPSHOT_SQL = (
    "SELECT json_build_object("
    + ", ".join(f"'{name}', b.{name}" for name in BGWRITER)
    + ", "
    + ", ".join(f"'{name}', w.{name}" for name in WAL)
    + ", 'wal_sync_us', (w.wal_sync_time * 1000)::bigint"
    + ", 'wal_lsn_bytes', pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0'))"
    " FROM pg_stat_bgwriter b, pg_stat_wal w"
)


@contextlib.contextmanager
def wal_io_timing(admin_url: str) -> Iterator[bool]:
    """`track_wal_io_timing` on for the run (it is what makes `wal_sync_time` count), and
    back as it was after; yields whether the sync times will be real. A server where it
    cannot be changed (not a superuser) runs without them."""
    changed = timed = False
    try:
        try:
            timed = run_psql(admin_url, "SHOW track_wal_io_timing").strip() == "on"
            if not timed:
                changed = True  # reset after, even if the reload below fails
                run_psql(admin_url, "ALTER SYSTEM SET track_wal_io_timing = on")
                run_psql(admin_url, "SELECT pg_reload_conf()")
                timed = True
        except RuntimeError:
            pass
        yield timed
    finally:
        if changed:
            with contextlib.suppress(RuntimeError):
                run_psql(admin_url, "ALTER SYSTEM RESET track_wal_io_timing")
                run_psql(admin_url, "SELECT pg_reload_conf()")


COMMITS = 200
COMMIT_PROBE_SQL = (
    f"DO $$ BEGIN FOR i IN 1..{COMMITS} LOOP INSERT INTO bench_commit_probe VALUES (i); "
    "COMMIT; END LOOP; END $$"
)


def commit_latency_ms(admin_url: str) -> float:
    """Milliseconds per durable one-row commit, right now (WAL flushed each time).

    A run's single-threaded postings once took 8-11 ms each against 1.7 ms in the run
    before, with the same CPU per posting and no checkpoint in either window: the disk's
    flush latency had changed (the run came right after a 10 GB seed was written and
    dropped). This figure, taken before each window, shows such a machine state.
    """
    run_psql(admin_url, "CREATE TABLE IF NOT EXISTS bench_commit_probe (n int)")
    try:
        began = time.monotonic()
        run_psql(admin_url, COMMIT_PROBE_SQL)
        elapsed = time.monotonic() - began
    finally:
        run_psql(admin_url, "DROP TABLE IF EXISTS bench_commit_probe")
    return round(elapsed * 1000 / COMMITS, 3)


def snapshot(admin_url: str) -> dict[str, int]:
    """The counters now (psql as the superuser: pg_stat_wal and CHECKPOINT need it)."""
    raw = json.loads(run_psql(admin_url, SNAPSHOT_SQL))
    return {name: int(float(raw[name])) for name in FIELDS}


def window_delta(before: dict, after: dict) -> dict[str, int]:
    """What each counter moved by between two snapshots (pure; unit-tested)."""
    return {name: after[name] - before[name] for name in FIELDS if name in before and name in after}


def cpu_times(stat_text: str | None = None) -> list[int]:
    """The machine's CPU time counters (the "cpu" line of /proc/stat): user, nice,
    system, idle, iowait, irq, softirq, steal; [] where there is no /proc (pure given
    `stat_text`)."""
    if stat_text is None:
        try:
            stat_text = Path("/proc/stat").read_text()
        except OSError:
            return []
    for line in stat_text.splitlines():
        fields = line.split()
        if fields and fields[0] == "cpu":
            return [int(v) for v in fields[1:9]]
    return []


def cpu_delta(before: list[int], after: list[int]) -> dict:
    """Where the machine's time went in a window, in per cent of all CPUs' time: busy
    (anything but idle and iowait), iowait, and steal (taken by the hypervisor for other
    guests: a window with steal measured a slower machine; pure)."""
    if len(before) < 8 or len(after) < 8:
        return {}
    d = [b - a for a, b in zip(before, after, strict=True)]
    total = sum(d)
    if total <= 0:
        return {}
    idle, iowait, steal = d[3], d[4], d[7]
    return {
        "cpu_busy_pct": round(100 * (total - idle - iowait) / total, 1),
        "cpu_iowait_pct": round(100 * iowait / total, 1),
        "cpu_steal_pct": round(100 * steal / total, 1),
    }


class PgWindow:
    """`start()` right before a measured window, `finish()` right after it.

    `start` runs CHECKPOINT, then waits until the checkpointer has published that
    checkpoint's counters (it does so just after waking the CHECKPOINT's caller), so
    the checkpoint we asked for is not counted as one that landed in the window.
    """

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.before: dict | None = None
        self.checkpoint_s: float | None = None
        self.commit_ms: float | None = None
        self.cpu_before: list[int] = []

    def start(self) -> None:
        requested = snapshot(self.admin_url)["checkpoints_req"]
        began = time.monotonic()
        run_psql(self.admin_url, "CHECKPOINT")
        self.checkpoint_s = round(time.monotonic() - began, 2)
        self.commit_ms = commit_latency_ms(self.admin_url)
        deadline = time.monotonic() + 3
        while True:
            self.before = snapshot(self.admin_url)
            if self.before["checkpoints_req"] > requested or time.monotonic() > deadline:
                self.cpu_before = cpu_times()
                return
            time.sleep(0.05)

    def finish(self) -> dict:
        """The window's deltas, and how long the CHECKPOINT before it took."""
        if self.before is None:
            return {"skipped": "the window never started"}
        cpu = cpu_delta(self.cpu_before, cpu_times())
        return {
            **window_delta(self.before, snapshot(self.admin_url)),
            "checkpoint_before_s": self.checkpoint_s,
            "commit_ms_before": self.commit_ms,
            **cpu,
        }


def window_cell(window: dict | None, transfers: int | None) -> str:
    """One compact table cell: checkpoints in the window, WAL volume, FPI per transfer,
    buffers the backends had to write themselves (pure; unit-tested)."""
    if not window or "checkpoints_req" not in window:
        return "–"
    fpi = window.get("wal_fpi", 0)
    per = f"{fpi / transfers:.2f}" if transfers else "–"
    syncs, sync_us = window.get("wal_sync", 0), window.get("wal_sync_us", 0)
    return (
        f"ckpt {window['checkpoints_req']} req/{window.get('checkpoints_timed', 0)} timed; "
        f"WAL {window.get('wal_lsn_bytes', 0) / 1_048_576:.1f} MB; FPI/tx {per}; "
        f"backend writes {window.get('buffers_backend', 0):,}"
        # Zero time for real syncs: track_wal_io_timing was off, so no time was counted.
        + (f"; WAL sync {sync_us / syncs / 1000:.2f} ms x {syncs:,}" if syncs and sync_us else "")
        + (
            f"; commit {window['commit_ms_before']} ms before"
            if window.get("commit_ms_before") is not None
            else ""
        )
        + (
            f"; CPU busy {window['cpu_busy_pct']} % (steal {window['cpu_steal_pct']} %, "
            f"iowait {window['cpu_iowait_pct']} %)"
            if "cpu_busy_pct" in window
            else ""
        )
    )
