"""Issue 15's goals, and the figures they compare.

Pure functions over a run's results dict (unit-tested in bench/tests): `target_checks`
lists every goal with its measured value and whether it was met (report.py shows it).
A `--scale` run is compared with a normal full run's results.json through
`headline_figures`, which both runs share, so the comparison reads the same figures
from each.
"""

from __future__ import annotations

from bench.stats import ratio

DASHBOARD_RATIO_GOAL = 0.35  # of baseline (a), 16 connections, default gunicorn settings
DASHBOARD_P99_GOAL_MS = 100
PAGE_RATIO_GOAL = 0.3  # history page and transfer form, of baseline (a)
WORKER_RSS_GOAL_MB = 120
SCALE_GOAL = 0.9  # --scale throughput over the normal run's
LIBRARY_TPS_RATIO = 0.35  # issue 15: the posting path at >= 0.35 of pgbench's raw SQL
LIBRARY_BIG_OVER_SMALL = 1.1  # posting on a 1M-entry account no slower than on a 1k one
PAGES = ("history_page", "transfer_form")
PAGE_TITLES = {
    "history_page": "history page 1 (dashboard customer)",
    "transfer_form": "transfer form (GET /transfers/pay)",
}


def _check(name: str, measured, goal: str, met: bool | None) -> dict:
    return {"target": name, "measured": measured, "goal": goal, "met": met}


def dashboard_row(scenarios: dict, connections: int = 16) -> dict | None:
    dashboard = scenarios.get("dashboard")
    if not isinstance(dashboard, list):
        return None
    return next((r for r in dashboard if r.get("connections") == connections), None)


def page_checks(scenarios: dict) -> list[dict]:
    """History page and transfer form vs baseline (a): ratio goal, errors, p99 shown."""
    pages = scenarios.get("signed_in_pages")
    checks: list[dict] = []
    if not isinstance(pages, dict):
        return checks
    for page in PAGES:
        row = pages.get(page)
        if not isinstance(row, dict) or page not in row:
            continue
        title, conns = PAGE_TITLES[page], row["connections"]
        value = row.get("throughput_ratio")
        checks.append(
            _check(
                f"{title} vs baseline (a), {conns} conns",
                value,
                f">= {PAGE_RATIO_GOAL}",
                value is not None and value >= PAGE_RATIO_GOAL,
            )
        )
        checks.append(_check(f"{title} p99, {conns} conns (ms)", row[page]["p99_ms"], "–", None))
        errors = row_errors(row, page)
        checks.append(_check(f"{title} errors", errors, "0", errors == 0))
    return checks


def row_errors(row: dict, page: str) -> int:
    """A page row's errors: every interleaved pair's when it has them, else its own."""
    if "errors_all_rounds" in row:
        return row["errors_all_rounds"]
    return row[page]["errors"]


def page_vs_pgbench(scenarios: dict, label: str) -> float | None:
    """The transfer form's requests/s over pgbench's transfers/s for `label` (pure).

    The form is a signed-in page served from cache: the session, the user, CSRF and the
    whole request cycle, and no database statement at all. The confirmation does all of
    that and a money-moving transaction besides, so its rate cannot exceed the form's: this
    ratio is a ceiling on the transfer's ratio set by our own request cycle, beside the
    framework's (c). Measured in other windows of the same run, so a bound, not a pair.
    """
    pages = scenarios.get("signed_in_pages")
    row = pages.get("transfer_form") if isinstance(pages, dict) else None
    pgbench = scenarios.get(f"transfers_{label}_pgbench", {})
    if not isinstance(row, dict) or "transfer_form" not in row or "tps" not in pgbench:
        return None
    return ratio(row["transfer_form"]["rps"], pgbench["tps"])


def headline_figures(results: dict) -> dict[str, dict]:
    """The throughputs the growth target compares, with each one's same-run ratio to
    its baseline (which takes the machine's load at the time out of the comparison)."""
    scenarios = results.get("scenarios", {})
    figures: dict[str, dict] = {}
    row = dashboard_row(scenarios)
    if row:
        figures["dashboard"] = {"rate": row["dashboard"]["rps"], "ratio": row["throughput_ratio"]}
    pages = scenarios.get("signed_in_pages")
    for page in PAGES:
        row = pages.get(page) if isinstance(pages, dict) else None
        if isinstance(row, dict) and page in row:
            figures[page] = {"rate": row[page]["rps"], "ratio": row["throughput_ratio"]}
    for label in ("spread", "hot"):
        app = scenarios.get(f"transfers_{label}_app", {})
        if "tps" in app:
            figures[f"transfers_{label}"] = {
                "rate": app["tps"],
                "ratio": app.get("tps_ratio_vs_pgbench"),
            }
    return figures


def scale_comparison(scale: dict[str, dict], normal: dict[str, dict]) -> list[dict]:
    """One row per figure both runs have: scale / normal, raw and baseline-relative."""
    rows = []
    for name, figures in scale.items():
        before = normal.get(name)
        if not before:
            continue
        rows.append(
            {
                "figure": name,
                "normal": before["rate"],
                "scale": figures["rate"],
                "scale_over_normal": ratio(figures["rate"], before["rate"]),
                "baseline_relative": ratio(figures.get("ratio"), before.get("ratio")),
            }
        )
    return rows


def scale_checks(results: dict) -> list[dict]:
    """--scale only: each throughput within SCALE_GOAL of the normal run's."""
    compare = results.get("compare")
    if not results.get("settings", {}).get("scale") or not compare:
        return []
    rows = scale_comparison(headline_figures(results), compare.get("normal", {}))
    return [
        _check(
            f"growth: {row['figure']} at 10x / normal run",
            row["scale_over_normal"],
            f">= {SCALE_GOAL}",
            row["scale_over_normal"] is not None and row["scale_over_normal"] >= SCALE_GOAL,
        )
        for row in rows
    ]


def target_checks(results: dict) -> list[dict]:
    """Every issue target with its measured value and whether it was met (pure)."""
    scenarios = results.get("scenarios", {})
    checks: list[dict] = []

    def add(name: str, measured, target: str, met: bool | None) -> None:
        checks.append({"target": name, "measured": measured, "goal": target, "met": met})

    dashboard = scenarios.get("dashboard")
    if isinstance(dashboard, list):
        row = next((r for r in dashboard if r["connections"] == 16), None)
        if row:
            goal, p99_goal = DASHBOARD_RATIO_GOAL, DASHBOARD_P99_GOAL_MS
            add(
                "dashboard throughput vs baseline (a), 16 conns",
                row["throughput_ratio"],
                f">= {goal}",
                row["throughput_ratio"] is not None and row["throughput_ratio"] >= goal,
            )
            add(
                "dashboard p99, 16 conns (ms)",
                row["dashboard"]["p99_ms"],
                f"< {p99_goal}",
                row["dashboard"]["p99_ms"] < p99_goal,
            )
        errors = sum(row_errors(r, "dashboard") for r in dashboard)
        add("dashboard errors (all runs)", errors, "0", errors == 0)
    checks += page_checks(scenarios)
    for label in ("spread", "hot"):
        app = scenarios.get(f"transfers_{label}_app", {})
        if "tps" in app:
            value = app.get("tps_ratio_vs_pgbench")
            add(
                f"transfers ({label}) vs baseline (b)",
                value,
                ">= 0.3",
                value is not None and value >= 0.3,
            )
            add(f"transfer errors ({label})", app["errors"], "0", app["errors"] == 0)
            ceiling = scenarios.get(f"transfers_{label}_ceiling", {})
            if "tps" in ceiling:  # what explains the gap: no goal of its own
                add(
                    f"Flask ceiling (c) vs baseline (b), {label}",
                    ceiling.get("tps_ratio_vs_pgbench"),
                    "–",
                    None,
                )
                add(
                    f"transfers ({label}) vs the Flask ceiling (c)",
                    app.get("tps_ratio_vs_ceiling"),
                    "–",
                    None,
                )
            page_ratio = page_vs_pgbench(scenarios, label)
            if page_ratio is not None:  # what bounds the goal from the app's side: no goal
                add(
                    f"signed-in page with no database work (transfer form) vs baseline (b), "
                    f"{label}",
                    page_ratio,
                    "–",
                    None,
                )
    _library_checks(scenarios, add)
    _verify_check(scenarios, add, "ledger_verify_after_transfers", "after transfers")
    history = scenarios.get("history", {})
    for variant in ("deep", "deep_filtered"):
        value = history.get("p50_ratio_big_over_small", {}).get(variant)
        if value is not None:
            add(f"history p50 {variant}: 1M-entry / 1k-entry", value, "<= 1.5", value <= 1.5)
    export = scenarios.get("csv_export", {})
    if "rows_per_s" in export:
        complete = export.get("complete", True)
        add("CSV export completes", "yes" if complete else export.get("cut_off"), "yes", complete)
        copy_ratio = export.get("rows_per_s_ratio_vs_copy")
        add(
            "CSV export rows/s vs PostgreSQL's COPY of the same query",
            copy_ratio,
            ">= 0.30",
            complete and copy_ratio is not None and copy_ratio >= 0.30,
        )
        growth = export.get("serving_worker_peak_growth_mb")
        add(
            "CSV export worker peak RSS growth (MB)",
            growth,
            "< 50",
            growth is not None and growth < 50,
        )
    memory = scenarios.get("memory", {})
    if memory.get("app_workers"):
        largest = max(w["rss_mb"] for w in memory["app_workers"])
        limit = WORKER_RSS_GOAL_MB
        add("largest worker RSS after the run (MB)", largest, f"< {limit}", largest < limit)
    return checks + scale_checks(results)


def _library_checks(scenarios: dict, add) -> None:
    """The ledger-as-a-library targets (bench.library; runner.library_posting)."""
    library = scenarios.get("library_posting", {})
    for name, run in library.get("runs", {}).items():
        if "tps" not in run:
            add(f"{name}: ran", run.get("error") or run.get("skipped"), "figures", False)
            continue
        ratio = run.get("tps_ratio_vs_pgbench")
        add(
            f"{name} vs pgbench",
            ratio,
            f">= {LIBRARY_TPS_RATIO}",
            ratio is not None and ratio >= LIBRARY_TPS_RATIO,
        )
        add(f"{name} errors", run["errors"], "0", run["errors"] == 0)
    ratio = library.get("latency", {}).get("p50_ratio_big_over_small")
    if ratio is not None:
        add(
            "posting p50: 1M-entry / 1k-entry account",
            ratio,
            f"<= {LIBRARY_BIG_OVER_SMALL}",
            ratio <= LIBRARY_BIG_OVER_SMALL,
        )
    _verify_check(scenarios, add, "ledger_verify_after_library", "after library posting")


def _verify_check(scenarios: dict, add, key: str, when: str) -> None:
    """`ledger verify` after a phase: clean, or BREACHES (skipped if it did not run)."""
    verify = scenarios.get(key)
    if isinstance(verify, dict) and "clean" in verify:
        clean = verify["clean"]
        add(f"ledger verify {when}", "clean" if clean else "BREACHES", "clean", clean)
