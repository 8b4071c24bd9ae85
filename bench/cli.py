"""The command line: `python -m bench [--quick | --scale [--compare results.json]]`.

Parses the arguments, runs one `Run` (bench/runner.py), always stops what it started
and drops its databases, then writes RESULTS.md and results.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path

from bench.pgstats import wal_io_timing
from bench.procs import HarnessError, install_signal_handlers
from bench.report import write_reports
from bench.runner import BENCH_DIR, PG, Run, Settings
from bench.targets import headline_figures


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (pure; unit-tested): --scale writes beside, not over, bench/."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--quick",
        action="store_true",
        help="small data and short runs (CI): under 2 minutes, no thresholds",
    )
    mode.add_argument(
        "--scale",
        action="store_true",
        help="10x the customers and the journal (not in CI; ~15 minutes); "
        "compare with a normal run's results.json via --compare",
    )
    parser.add_argument(
        "--compare",
        type=Path,
        help="a full run's results.json to compare a --scale run with (growth target)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="where RESULTS.md and results.json go (default: bench/, or bench/scale/ for --scale)",
    )
    parser.add_argument(
        "--keep-db",
        action="store_true",
        help="leave the benchmark database in place (for profiling)",
    )
    args = parser.parse_args(argv)
    if args.compare and not args.scale:
        parser.error("--compare goes with --scale")
    if args.out is None:
        args.out = BENCH_DIR / "scale" if args.scale else BENCH_DIR
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Read before the run: the normal run's file may sit where this run will write.
    normal = json.loads(args.compare.read_text()) if args.compare else None
    install_signal_handlers()
    settings = Settings.for_mode(args.quick, scale=args.scale)
    out_dir = BENCH_DIR / "out"
    out_dir.mkdir(exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    run = Run(settings, out_dir)
    if normal is not None:
        run.results["compare"] = {"path": str(args.compare), "normal": headline_figures(normal)}
    began = time.monotonic()
    status = 0
    interrupted = False
    try:
        with wal_io_timing(f"{PG}/postgres") as timed:
            run.results["settings"]["wal_io_timing"] = timed
            run.execute()
    except HarnessError as exc:
        print(f"[bench] harness failure: {exc}", file=sys.stderr)
        run.results["failures"].append(f"harness: {exc}")
        status = 1
    except KeyboardInterrupt:
        interrupted = True
    finally:
        run.procs.stop_all()
        if not args.keep_db:
            with contextlib.suppress(Exception):
                run.drop_databases()  # a million-entry database is not left behind
    if interrupted:
        print("[bench] interrupted; everything started was stopped", file=sys.stderr)
        return 130
    run.results["elapsed_s"] = round(time.monotonic() - began, 1)
    if run.results["failures"]:
        status = 1
    write_reports(run.results, args.out)
    print(
        f"[bench] wrote {args.out / 'RESULTS.md'} in {run.results['elapsed_s']}s "
        f"({'FAILED' if status else 'ok'})",
        flush=True,
    )
    return status
