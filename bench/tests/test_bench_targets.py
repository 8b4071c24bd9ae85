"""Issue 15's goals, the --scale comparison and the command line (pure; no timing)."""

import pytest

from bench.cli import parse_args
from bench.report import render_markdown
from bench.runner import BENCH_DIR, Settings
from bench.targets import headline_figures, scale_comparison, target_checks


def _figures(rps: float, p99: float = 40.0, errors: int = 0) -> dict:
    return {"rps": rps, "p50_ms": 5, "p95_ms": 9, "p99_ms": p99, "errors": errors}


def _page(page: str, path: str, rps: float, baseline: float, **kwargs) -> dict:
    return {
        "path": path,
        "connections": 16,
        "baseline": _figures(baseline),
        page: _figures(rps, **kwargs),
        "throughput_ratio": round(rps / baseline, 3),
    }


def _results(
    dashboard=(1600, 4000),
    history=(1400, 4000),
    form=(1500, 4000),
    spread=(900, 3000),
    hot=(800, 2000),
    rss=100.0,
    **settings,
) -> dict:
    return {
        "settings": {"quick": False, **settings},
        "gunicorn": {"worker_class": "gthread", "workers": 3, "threads": 4, "timeout": 30},
        "scenarios": {
            "dashboard": [
                {
                    "connections": 16,
                    "baseline": _figures(dashboard[1]),
                    "dashboard": _figures(dashboard[0]),
                    "throughput_ratio": round(dashboard[0] / dashboard[1], 3),
                }
            ],
            "signed_in_pages": {
                "history_page": _page("history_page", "/accounts/7/history", *history),
                "transfer_form": _page("transfer_form", "/transfers/pay", *form),
            },
            "transfers_spread_app": {
                "tps": spread[0],
                "errors": 0,
                "tps_ratio_vs_pgbench": round(spread[0] / spread[1], 3),
            },
            "transfers_hot_app": {
                "tps": hot[0],
                "errors": 0,
                "tps_ratio_vs_pgbench": round(hot[0] / hot[1], 3),
            },
            "memory": {"app_workers": [{"pid": 1, "rss_mb": rss, "peak_mb": rss}]},
        },
    }


def _met(results: dict) -> dict[str, bool | None]:
    return {check["target"]: check["met"] for check in target_checks(results)}


def test_the_dashboard_goal_is_a_third_of_the_baseline_and_rss_under_120_mb():
    met = _met(_results(dashboard=(1440, 4000), rss=119.0))
    assert met["dashboard throughput vs baseline (a), 16 conns"] is True  # 0.36
    assert met["largest worker RSS after the run (MB)"] is True
    met = _met(_results(dashboard=(1360, 4000), rss=121.0))
    assert met["dashboard throughput vs baseline (a), 16 conns"] is False  # 0.34
    assert met["largest worker RSS after the run (MB)"] is False


def test_history_page_and_transfer_form_are_checked_against_baseline_a():
    met = _met(_results(history=(1000, 4000), form=(1300, 4000)))
    assert met["history page 1 (dashboard customer) vs baseline (a), 16 conns"] is False
    assert met["transfer form (GET /transfers/pay) vs baseline (a), 16 conns"] is True
    assert met["history page 1 (dashboard customer) errors"] is True
    # p99 is reported with no goal of its own
    assert met["transfer form (GET /transfers/pay) p99, 16 conns (ms)"] is None


def test_a_failed_pages_scenario_adds_no_page_rows():
    results = _results()
    results["scenarios"]["signed_in_pages"] = {"error": "RuntimeError: boom"}
    assert not any("history page" in name for name in _met(results))
    assert "boom" in render_markdown(results)


def test_scale_comparison_divides_the_10x_run_by_the_normal_one():
    normal = headline_figures(_results())
    scale = headline_figures(_results(dashboard=(1200, 3000), spread=(720, 3000)))
    rows = {row["figure"]: row for row in scale_comparison(scale, normal)}
    assert set(rows) == {
        "dashboard",
        "history_page",
        "transfer_form",
        "transfers_spread",
        "transfers_hot",
    }
    assert rows["dashboard"]["scale_over_normal"] == 0.75
    # the baseline was slower too: relative to it, the dashboard held its ground
    assert rows["dashboard"]["baseline_relative"] == 1.0
    assert rows["transfers_spread"]["scale_over_normal"] == 0.8
    assert rows["history_page"]["scale_over_normal"] == 1.0


def test_a_figure_missing_from_either_run_is_left_out():
    normal = headline_figures(_results())
    del normal["transfers_hot"]
    rows = scale_comparison(headline_figures(_results()), normal)
    assert "transfers_hot" not in {row["figure"] for row in rows}


def test_growth_targets_apply_to_a_scale_run_with_a_comparison_only():
    normal = headline_figures(_results())
    results = _results(form=(1300, 4000), scale=True)
    assert not any(name.startswith("growth") for name in _met(results))
    results["compare"] = {"path": "bench/results.json", "normal": normal}
    met = _met(results)
    assert met["growth: transfer_form at 10x / normal run"] is False  # 1300 / 1500 = 0.87
    assert met["growth: dashboard at 10x / normal run"] is True
    text = render_markdown(results)
    assert "## Growth: this 10x run vs the normal run" in text
    assert "| transfer_form | 1,500 | 1,300 | 0.87 |" in text


def test_the_report_names_the_gunicorn_defaults_and_the_new_pages():
    text = render_markdown(_results())
    assert "worker_class=gthread" in text and "workers=3" in text
    assert "/accounts/7/history" in text
    assert "## Other signed-in pages vs baseline (a)" in text


def test_scale_settings_grow_customers_and_journal_tenfold():
    full, scale = Settings.for_mode(quick=False), Settings.for_mode(quick=False, scale=True)
    assert scale.scale and not scale.quick
    assert scale.customers == 10 * full.customers
    assert scale.big_entries == full.big_entries
    normal_journal = full.big_entries + full.small_entries + full.transfer_accounts + 31
    grown = normal_journal + scale.customers * scale.customer_history
    assert 10 * normal_journal <= grown < 10.1 * normal_journal
    assert scale.variants == []
    assert Settings.for_mode(quick=True).customer_history == 0


def test_the_command_line_modes_and_where_the_reports_go():
    assert parse_args([]).out == BENCH_DIR
    quick = parse_args(["--quick"])
    assert quick.quick and not quick.scale
    scale = parse_args(["--scale", "--compare", "bench/results.json"])
    assert scale.scale and scale.out == BENCH_DIR / "scale"
    assert str(scale.compare) == "bench/results.json"
    assert parse_args(["--scale", "--out", "/tmp/x"]).out.name == "x"


@pytest.mark.parametrize("argv", [["--quick", "--scale"], ["--compare", "r.json"]])
def test_the_command_line_refuses_contradictions(argv, capsys):
    with pytest.raises(SystemExit):
        parse_args(argv)
    assert "error" in capsys.readouterr().err


def test_pages_are_measured_in_interleaved_pairs_and_the_median_ratio_is_reported(
    monkeypatch, tmp_path
):
    from bench import scenarios

    # baseline, page, baseline, page, ...: the machine slows down in the second pair.
    rates = iter([1000, 300, 500, 100, 1000, 320])
    calls = []

    def fake_wrk(url, *, connections, duration_s, cookie, out_dir, label):
        calls.append((url, duration_s, label))
        return {"rps": next(rates), "p99_ms": 10.0, "errors": 1 if "r2" in label else 0}

    monkeypatch.setattr(scenarios, "wrk_get", fake_wrk)
    (row,) = scenarios.page_vs_baseline(
        "http://app", "http://base", "c=1", path="/", page="dashboard",
        connections=[16], duration_s=15, out_dir=tmp_path, label="t",
    )  # fmt: skip

    assert [url for url, _, _ in calls] == ["http://base/", "http://app/"] * 3
    assert all(duration == 5 for _, duration, _ in calls)
    assert row["round_ratios"] == [0.3, 0.2, 0.32]
    assert row["throughput_ratio"] == 0.3  # the median pair's ratio...
    assert (row["baseline"]["rps"], row["dashboard"]["rps"]) == (1000, 300)  # ...and figures
    assert row["errors_all_rounds"] == 1  # the page's errors in every pair (not the baseline's)


def test_the_median_pair_of_an_even_count_is_the_lower_middle_and_none_sorts_first():
    from bench.scenarios import median_pair

    assert median_pair([(0.4, "a"), (0.2, "b"), (0.3, "c"), (0.5, "d")])[1] == "c"
    assert median_pair([(None, "x"), (0.2, "b"), (0.3, "c")])[1] == "b"


def test_the_flask_ceiling_is_reported_beside_the_transfer_target_with_no_goal_of_its_own():
    results = _results(spread=(300, 3000))
    scenarios = results["scenarios"]
    scenarios["transfers_spread_ceiling"] = {"tps": 900, "errors": 0, "tps_ratio_vs_pgbench": 0.3}
    scenarios["transfers_spread_app"]["tps_ratio_vs_ceiling"] = 0.333
    checks = {check["target"]: check for check in target_checks(results)}
    assert checks["transfers (spread) vs baseline (b)"]["met"] is False  # 0.1: still missed
    assert checks["Flask ceiling (c) vs baseline (b), spread"]["met"] is None
    assert checks["transfers (spread) vs the Flask ceiling (c)"]["measured"] == 0.333
    assert "Flask ceiling (c) vs baseline (b), hot" not in checks  # not measured: no row


def test_a_signed_in_page_without_database_work_is_reported_against_pgbench_with_no_goal():
    results = _results(form=(1100, 3000), spread=(300, 3000))
    scenarios = results["scenarios"]
    scenarios["transfers_spread_pgbench"] = {"tps": 3300.0, "errors": 0}
    checks = {check["target"]: check for check in target_checks(results)}
    bound = checks["signed-in page with no database work (transfer form) vs baseline (b), spread"]
    assert bound["measured"] == pytest.approx(1100 / 3300, abs=0.001)
    assert bound["met"] is None
    # No pgbench row for hot in this run: nothing to compare the page with.
    assert not any(name.endswith("vs baseline (b), hot") and "page" in name for name in checks)
