"""The benchmark's arithmetic, load plan, form reading and target checks (no timing)."""

from bench.report import render_markdown
from bench.stats import latency_summary_ms, percentile, ratio
from bench.targets import target_checks
from bench.transfers import plan_pairs
from bench.web import find_form, parse_forms, parse_set_cookie


def test_percentile_interpolates_between_ranks():
    values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert percentile(values, 50) == 5.5
    assert percentile(values, 100) == 10
    assert percentile([7], 99) == 7
    assert percentile([], 50) is None


def test_latency_summary_is_in_milliseconds():
    summary = latency_summary_ms([0.010, 0.020, 0.030])
    assert summary["p50_ms"] == 20.0
    assert summary["max_ms"] == 30.0


def test_ratio_is_rounded_and_none_when_a_side_is_missing():
    assert ratio(50, 200) == 0.25
    assert ratio(1, 3) == 0.333
    assert ratio(None, 3) is None
    assert ratio(5, 0) is None


def test_each_transfer_client_pays_the_other_accounts_only():
    users = [{"number": n} for n in ("111", "222", "333")]
    plan = plan_pairs(users, clients=4)
    assert [user["number"] for user, _ in plan] == ["111", "222", "333", "111"]
    assert plan[0][1] == ["222", "333"]
    assert all(user["number"] not in numbers for user, numbers in plan)


LOGIN_PAGE = """
<form method="post" action="/auth/login">
  <input type="hidden" name="csrf_token" value="tok&amp;en">
  <input type="email" name="email" value="">
  <input type="password" name="password">
  <input type="checkbox" name="remember" value="y">
  <input type="hidden" name="next" value="">
  <select name="kind"><option value="a">A</option><option value="b" selected>B</option></select>
  <button type="submit">Sign in</button>
</form>
<form method="post" action="/auth/logout"><input type="hidden" name="csrf_token" value="x"></form>
"""


def test_forms_are_read_with_their_hidden_fields_and_defaults():
    forms = parse_forms(LOGIN_PAGE)
    assert [f.action for f in forms] == ["/auth/login", "/auth/logout"]
    login = find_form(LOGIN_PAGE, with_field="password")
    assert login.fields["csrf_token"] == "tok&en"
    assert "remember" not in login.fields  # an unchecked box is not sent
    assert login.fields["kind"] == "b"
    assert login.selects["kind"] == ["a", "b"]


def test_set_cookie_headers_give_name_and_value_and_deletions_clear():
    header = "banking_session=abc.def; Secure; HttpOnly; Path=/; SameSite=Lax"
    assert parse_set_cookie(header) == ("banking_session", "abc.def")
    deleted = "remember_token=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/"
    assert parse_set_cookie(deleted) == ("remember_token", "")
    assert parse_set_cookie("garbage") is None


def _results(
    dashboard_ratio=0.6, p99=50.0, tps_ratio=0.4, deep=1.2, rows=60_000, growth=10.0, copy=0.5
):
    figures = {"rps": 600, "p50_ms": 5, "p95_ms": 9, "p99_ms": p99, "errors": 0}
    return {
        "settings": {"quick": True},
        "scenarios": {
            "dashboard": [
                {
                    "connections": 16,
                    "baseline": {**figures, "rps": 1000},
                    "dashboard": figures,
                    "throughput_ratio": dashboard_ratio,
                }
            ],
            "transfers_hot_app": {"tps": 40, "errors": 0, "tps_ratio_vs_pgbench": tps_ratio},
            "ledger_verify_after_transfers": {"clean": True, "output": "OK"},
            "history": {"p50_ratio_big_over_small": {"deep": deep}, "runs": {}, "connections": 4},
            "csv_export": {
                "rows_per_s": rows,
                "serving_worker_peak_growth_mb": growth,
                "rows_per_s_ratio_vs_copy": copy,
            },
            "memory": {"app_workers": [{"pid": 1, "rss_mb": 90.0, "peak_mb": 95.0}]},
        },
    }


def test_targets_met_are_reported_as_met():
    checks = target_checks(_results())
    assert checks and all(check["met"] for check in checks)


def test_missed_targets_are_reported_not_raised():
    checks = {c["target"]: c["met"] for c in target_checks(_results(dashboard_ratio=0.1, deep=3))}
    assert checks["dashboard throughput vs baseline (a), 16 conns"] is False
    assert checks["history p50 deep: 1M-entry / 1k-entry"] is False
    assert checks["ledger verify after transfers"] is True


def test_report_shows_missed_targets_and_harness_failures():
    results = _results(rows=1000, copy=0.01)
    results["failures"] = ["history: RuntimeError: boom"]
    text = render_markdown(results, findings="## Findings\n\nSlow.")
    assert "**MISSED**" in text
    assert "history: RuntimeError: boom" in text
    assert text.rstrip().endswith("Slow.")
