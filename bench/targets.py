"""Issue 15's goals for the signed-in pages and for growth, and the figures they compare.

Pure functions over a run's results dict (unit-tested in bench/tests): report.py's
`target_checks` adds these rows to its table. A `--scale` run is compared with a normal
full run's results.json through `headline_figures`, which both runs share, so the
comparison reads the same figures from each.
"""

from __future__ import annotations

from bench.stats import ratio

DASHBOARD_RATIO_GOAL = 0.35  # of baseline (a), 16 connections, default gunicorn settings
DASHBOARD_P99_GOAL_MS = 100
PAGE_RATIO_GOAL = 0.3  # history page and transfer form, of baseline (a)
WORKER_RSS_GOAL_MB = 120
SCALE_GOAL = 0.9  # --scale throughput over the normal run's
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
