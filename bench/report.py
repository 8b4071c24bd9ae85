"""RESULTS.md and results.json from one run's figures (pure rendering, unit-tested).

Targets are checked and shown (met / MISSED) but never fail the run. Hand-written
analysis lives in bench/FINDINGS.md and is appended, so a new run keeps it.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench import targets
from bench.pgstats import window_cell
from bench.targets import target_checks

FINDINGS = Path(__file__).resolve().parent / "FINDINGS.md"


def _fmt(value, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        value = f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.0f}"
    elif isinstance(value, int):
        value = f"{value:,}"
    return f"{value}{unit}"


def _rounds(row: dict) -> str:
    """' (median of pairs: a, b, c)' when the ratio is a median of interleaved pairs."""
    ratios = row.get("round_ratios")
    if not ratios or len(ratios) < 2:
        return ""
    return f" (median of pairs: {', '.join(_fmt(r) for r in ratios)})"


def _library_section(sc: dict) -> list[str]:
    library = sc.get("library_posting")
    if not library:
        return []
    out = [
        "## The ledger as a library: `post_transfer` from Python vs pgbench",
        "",
        "No HTTP, no Flask: threads calling `banking.core.ledger.post_transfer` with the "
        "customer's limits, 1-cent transfers, a fresh idempotency key each. Each run's "
        "pgbench window is measured right before it (the disk's flush latency, which every "
        "commit waits for, moves within a run).",
        "",
        "| run | transfers/s | pgbench tps | ratio | CPU ms/transfer | p50 ms | p99 ms | errors "
        "| PostgreSQL in the window |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, run in library.get("runs", {}).items():
        if "tps" not in run:
            out.append(f"| {name} | {run} | | | | | | | |")
            continue
        out.append(
            f"| {name} ({run['accounts']} accounts) | {_fmt(run['tps'])} | "
            f"{_fmt(run.get('pgbench_tps'))} | {_fmt(run.get('tps_ratio_vs_pgbench'))} | "
            f"{_fmt(run.get('cpu_ms_per_transfer'))} | {_fmt(run.get('p50_ms'))} | "
            f"{_fmt(run.get('p99_ms'))} | {_fmt(run['errors'])} {run.get('error_kinds') or ''} | "
            f"{window_cell(run.get('pg_window'), run.get('transfers'))} |"
        )
    paired = [
        (name, run["pgbench"])
        for name, run in library.get("runs", {}).items()
        if isinstance(run.get("pgbench"), dict) and "tps" in run["pgbench"]
    ]
    if paired:
        out += ["", "Each run's own pgbench, right before it:", ""]
        for name, raw in paired:
            out.append(
                f"- {name}: {_fmt(raw['tps'])} tps, p50 {_fmt(raw.get('p50_ms'))} ms; "
                f"{window_cell(raw.get('pg_window'), raw.get('transactions'))}"
            )
    latency = library.get("latency", {})
    if latency:
        out += ["", "Sequential postings out of one account (one thread):", ""]
        for name in ("big", "small"):
            figures = latency.get(name, {})
            out.append(
                f"- {name}: p50 {_fmt(figures.get('p50_ms'))} ms, "
                f"p99 {_fmt(figures.get('p99_ms'))} ms ({figures.get('transfers')} transfers)"
            )
        out.append(f"- p50 ratio big/small: {_fmt(latency.get('p50_ratio_big_over_small'))}")
        postings = sum(latency.get(name, {}).get("transfers") or 0 for name in ("big", "small"))
        out.append(f"- PostgreSQL in the window: {window_cell(latency.get('pg_window'), postings)}")
    verify = sc.get("ledger_verify_after_library")
    if isinstance(verify, dict) and "clean" in verify:
        out.append(f"- ledger verify after: {'clean' if verify['clean'] else 'NOT CLEAN'}")
    return [*out, ""]


def render_markdown(results: dict, findings: str = "") -> str:
    """The human report: machine, settings, targets, every figure (pure)."""
    s = results.get("settings", {})
    machine = results.get("machine", {})
    mode = "quick (CI smoke: small data, short runs)" if s.get("quick") else "full"
    if s.get("scale"):
        mode = "scale (10x the customers and the journal)"
    out = ["# Benchmark results", ""]
    out += [
        f"Mode: **{mode}**. Started {results.get('started_at', '–')}, "
        f"took {results.get('elapsed_s', '–')} s. Command: "
        f"`python -m bench{' --quick' if s.get('quick') else ''}"
        f"{' --scale' if s.get('scale') else ''}`.",
        "",
    ]
    if results.get("failures"):
        out += ["## Harness failures", ""] + [f"- {f}" for f in results["failures"]] + [""]
    out += ["## Targets", "", "| target | measured | goal | met |", "|---|---|---|---|"]
    for check in target_checks(results):
        met = {True: "met", False: "**MISSED**", None: "–"}[check["met"]]
        out.append(f"| {check['target']} | {_fmt(check['measured'])} | {check['goal']} | {met} |")
    out += ["", "## Machine and versions", ""]
    out.append(
        f"- CPUs: {machine.get('nproc')} × {machine.get('cpu_model')}; memory "
        f"{_fmt(machine.get('memory_mb'))} MB; kernel {machine.get('kernel')}"
    )
    for name, version in machine.get("versions", {}).items():
        out.append(f"- {name}: {version}")
    out += ["", "## Settings", ""]
    g = results.get("gunicorn", {})
    out.append(
        f"- gunicorn (app and baseline alike): `gunicorn.conf.py`'s defaults, no overrides: "
        f"worker_class={g.get('worker_class')} ({g.get('resolved_class')}), "
        f"workers={g.get('workers')} (running: {g.get('observed_workers')}), "
        f"threads={g.get('threads')}, timeout={g.get('timeout')} s; "
        "APP_ENV=production, Redis cache and rate limits"
    )
    seed = results.get("seed", {})
    out.append(
        f"- data: {_fmt(seed.get('customers'))} customers; big account "
        f"{_fmt(seed.get('big_entries'))} entries, small account "
        f"{_fmt(seed.get('small_entries'))} entries; journal "
        f"{_fmt(seed.get('journal_rows'))} transactions after seeding; seed timings "
        f"{seed.get('timings')}"
    )
    if s.get("scale"):
        out.append(
            f"- scale: {_fmt(s.get('customers'))} customers, each ordinary one with "
            f"{_fmt(s.get('customer_history'))} transactions of history (set-based SQL); the "
            f"big account keeps its {_fmt(seed.get('big_entries'))} entries; the dashboard "
            "customer is the same as in the normal run"
        )
    out.append(
        f"- wrk: {s.get('duration_s')} s per run at {s.get('dashboard_connections')} "
        f"connections (2 threads); other signed-in pages at {s.get('page_connections')} "
        f"connections for {s.get('page_duration_s')} s each, with baseline (a) measured "
        f"again before each; history at {s.get('history_connections')} connections "
        f"for {s.get('history_duration_s')} s; transfers: {s.get('transfer_clients')} "
        f"wrk threads of one connection each (C load client, one signed-in customer per "
        f"thread: bench/lua/transfer.lua) / pgbench clients for {s.get('transfer_duration_s')} s"
    )
    out.append(
        "- every transfer and library window starts right after a CHECKPOINT; the tables' "
        "PostgreSQL column is what happened during the window, cluster-wide: checkpoints "
        "requested/timed, WAL written, full-page images per transfer, buffers written by "
        "backends themselves, the WAL syncs' mean time and count (the disk's flush latency, "
        "which every commit waits for"
        + ("" if s.get("wal_io_timing") else "; not timed in this run")
        + ")"
    )
    out.append(
        "- load generators run on the same machine as the servers and the database, "
        "so they compete for the same CPUs (equally for app and baseline)"
    )
    if results.get("phases_s"):
        out.append(f"- set-up phases (s): {results['phases_s']}")
    load = results.get("load_average")
    if load:
        out.append(f"- load average (1 min) before / after the run: {load[0]} / {load[1]}")
    out += _scenario_sections(results.get("scenarios", {}))
    out += _scale_section(results)
    if findings.strip():
        out += ["", findings.strip()]
    return "\n".join(out) + "\n"


def _latency_row(label: str, figures: dict, rate_key: str = "rps") -> str:
    return (
        f"| {label} | {_fmt(figures.get(rate_key))} | {_fmt(figures.get('p50_ms'))} | "
        f"{_fmt(figures.get('p95_ms'))} | {_fmt(figures.get('p99_ms'))} | "
        f"{_fmt(figures.get('errors'))} |"
    )


def _scenario_sections(sc: dict) -> list[str]:
    out: list[str] = []
    header = ["| run | req/s | p50 ms | p95 ms | p99 ms | errors |", "|---|---|---|---|---|---|"]
    dashboards = {k: v for k, v in sc.items() if k.startswith("dashboard")}
    if dashboards:
        out += ["", "## Dashboard (signed in) vs baseline (a): minimal Flask + Jinja", ""]
        for name, value in dashboards.items():
            rows = value["rows"] if isinstance(value, dict) and "rows" in value else value
            if not isinstance(rows, list):
                out.append(f"- {name}: {value}")
                continue
            settings = value.get("settings") if isinstance(value, dict) else None
            out += [f"**{name}** {settings or ''}", "", *header]
            for row in rows:
                c = row["connections"]
                out.append(_latency_row(f"baseline, {c} conns", row["baseline"]))
                out.append(_latency_row(f"dashboard, {c} conns", row["dashboard"]))
                out.append(
                    f"| ratio dashboard/baseline, {c} conns{_rounds(row)} | "
                    f"{_fmt(row['throughput_ratio'])} | | | | |"
                )
            if isinstance(value, dict) and value.get("app_workers"):
                rss = ", ".join(_fmt(w["rss_mb"]) for w in value["app_workers"])
                out.append(f"\nWorker RSS after this variant (MB): {rss}")
            out.append("")
    pages = sc.get("signed_in_pages")
    if isinstance(pages, dict) and not ("error" in pages or "skipped" in pages):
        out += ["## Other signed-in pages vs baseline (a), default gunicorn settings", ""]
        out += header
        for page, row in pages.items():
            c = row["connections"]
            out.append(_latency_row(f"baseline, {c} conns", row["baseline"]))
            out.append(_latency_row(f"{page} `{row['path']}`, {c} conns", row[page]))
            out.append(
                f"| ratio {page}/baseline{_rounds(row)} | {_fmt(row['throughput_ratio'])} | | | | |"
            )
        out.append("")
    transfer_keys = [k for k in sc if k.startswith("transfers_")]
    if transfer_keys:
        out += [
            "## Transfers vs baseline (b): the same transfer as raw SQL (pgbench)",
            "",
            "Baseline (c), `_ceiling` rows: pgbench's transfer behind the smallest Flask app "
            "(bench/ceiling_app.py: no session, CSRF, rule book, notification or cache), "
            "driven by the same wrk script as the app. Its ratio to pgbench is the most a "
            "Flask app made of (b) on this machine in this run.",
            "",
            "| run | transfers/s | p50 ms | p95 ms | p99 ms | errors | PostgreSQL in the window |",
            "|---|---|---|---|---|---|---|",
        ]
        for key in transfer_keys:
            value = sc[key]
            if "tps" in value:
                row = _latency_row(f"{key} ({value.get('accounts')} accounts)", value, "tps")
                made = value.get("transfers", value.get("transactions"))
                out.append(f"{row} {window_cell(value.get('pg_window'), made)} |")
            else:
                out.append(f"| {key} | {value} | | | | | |")
        for key in transfer_keys:
            if "tps_ratio_vs_pgbench" in sc[key]:
                value = sc[key]
                ceiling = value.get("tps_ratio_vs_ceiling")
                of_ceiling = f"; of the Flask ceiling (c): {ceiling}" if ceiling else ""
                consistent = f"; consistent: {value['consistent']}" if "consistent" in value else ""
                out.append(
                    f"\n- {key}: ratio to pgbench = {value['tps_ratio_vs_pgbench']}"
                    f"{of_ceiling}{consistent}; error kinds {value.get('error_kinds')}"
                )
        out.append("")
    out += _library_section(sc)
    for key in ("ledger_verify_after_seed", "ledger_verify_after_transfers"):
        if key in sc:
            value = sc[key]
            out += [
                f"**{key}**: {'clean' if value.get('clean') else 'NOT CLEAN'}",
                "",
                "```",
                value.get("output", str(value))[-800:],
                "```",
                "",
            ]
    history = sc.get("history", {})
    if "runs" in history:
        out += [
            "## History pages: 1,000,000-entry account vs 1,000-entry account",
            "",
            f"wrk at {history['connections']} connections. Deep = the page 90% of the way "
            "down (a keyset cursor); filtered = `direction=out&q=Coffee`.",
            "",
            *header,
        ]
        for name, figures in history["runs"].items():
            out.append(_latency_row(name, figures))
        out += ["", f"p50 ratio big/small: {history['p50_ratio_big_over_small']}", ""]
    if "history_explain" in sc and isinstance(sc["history_explain"], list):
        out += ["### EXPLAIN (ANALYZE, BUFFERS) of the history queries", ""]
        for case in sc["history_explain"]:
            for number, query in enumerate(case["queries"], 1):
                out += [
                    f"<details><summary>{case['name']} query {number}</summary>",
                    "",
                    "```",
                    query["sql"],
                    "",
                    query["plan"],
                    "```",
                    "</details>",
                    "",
                ]
    export = sc.get("csv_export")
    if export:
        out += ["## CSV export of the big account", ""]
        out += [f"- {k}: {_fmt(v)}" for k, v in export.items()]
        copy = sc.get("csv_copy_baseline", {})
        if "rows_per_s" in copy:
            out.append(
                f"- PostgreSQL COPY of the same query (baseline): {_fmt(copy['rows_per_s'])} "
                f"rows/s ({_fmt(copy['rows'])} rows in {_fmt(copy['seconds'])} s)"
            )
        out.append("")
    memory = sc.get("memory")
    if memory:
        out += [
            "## Memory per worker after the run (primary settings)",
            "",
            "| server | pid | RSS MB | peak MB |",
            "|---|---|---|---|",
        ]
        for server in ("app_workers", "baseline_workers"):
            for worker in memory.get(server, []):
                out.append(
                    f"| {server} | {worker['pid']} | {_fmt(worker['rss_mb'])} | "
                    f"{_fmt(worker['peak_mb'])} |"
                )
        out.append("")
    other = [k for k, v in sc.items() if isinstance(v, dict) and ("error" in v or "skipped" in v)]
    if other:
        out += ["## Skipped or failed scenarios", ""]
        out += [f"- {k}: {sc[k].get('error') or sc[k].get('skipped')}" for k in other]
    return out


def _scale_section(results: dict) -> list[str]:
    compare = results.get("compare")
    if not results.get("settings", {}).get("scale"):
        return []
    out = ["", "## Growth: this 10x run vs the normal run", ""]
    if not compare:
        return [*out, "No normal run to compare with (pass `--compare bench/results.json`)."]
    rows = targets.scale_comparison(targets.headline_figures(results), compare["normal"])
    out += [
        f"Normal run: `{compare['path']}`. Throughput in req/s (pages) or transfers/s; "
        "baseline-relative = this run's ratio to its same-run baseline over the normal "
        "run's (the machine's load at either time cancels out).",
        "",
        "| figure | normal run | 10x run | 10x / normal | baseline-relative |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        out.append(
            f"| {row['figure']} | {_fmt(row['normal'])} | {_fmt(row['scale'])} | "
            f"{_fmt(row['scale_over_normal'])} | {_fmt(row['baseline_relative'])} |"
        )
    return [*out, ""]


def write_reports(results: dict, out_dir: Path) -> None:
    findings = FINDINGS.read_text() if FINDINGS.exists() else ""
    (out_dir / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (out_dir / "RESULTS.md").write_text(render_markdown(results, findings))
