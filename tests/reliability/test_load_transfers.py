"""Thousands of concurrent transfers over HTTP against production gunicorn: no money lost.

16 clients (several per customer, 8 customers: hot rows) fire at least 5,000 transfer
submissions at a multi-worker gunicorn running APP_ENV=production on PostgreSQL and
Redis; some submissions reuse a form's idempotency key, concurrently and afterwards.
Then: money is conserved to the cent, no balance is below its limit, `flask ledger
verify --deep` is clean, every duplicated form moved money once, and nothing got a 5xx
(no status, no unfriendly error page, no failed step of a duplicate flow). The figures,
with how many requests were resent after an idle keep-alive connection dropped, go to
test-artifacts/reliability.json and the terminal summary; docs/reliability.md keeps them.
"""

from __future__ import annotations

import os

import pytest

from tests.reliability import support

pytestmark = pytest.mark.slow

CUSTOMERS = 8
CLIENTS = int(os.environ.get("REL_LOAD_CLIENTS", "16"))
SUBMISSIONS = int(os.environ.get("REL_LOAD_SUBMISSIONS", "5000"))
FUNDING = 30_000  # $300 each: with $0.01-$20 transfers some get refused for funds


def test_concurrent_transfers_over_http_conserve_money(workdir, start_load):
    support.require_services()
    database = support.fresh_database("load")
    env = support.production_env(database, support.redis_url(11), workdir / "app.log")
    support.migrate(env)
    customers = support.seed_customers(env, CUSTOMERS, FUNDING)
    server = support.Server(env, workdir, workers=4).start()
    try:
        load = start_load(
            workdir,
            {
                "port": server.port,
                "customers": customers,
                "clients": CLIENTS,
                "submissions": SUBMISSIONS,
                "duration": float(os.environ.get("REL_LOAD_MAX_SECONDS", "420")),
                "dup_every": 40,
            },
        )
        report = load.result(seconds=400)
    finally:
        assert server.stop() == 0
    retries = server.count_log("ledger retry")
    figures = {k: v for k, v in report.items() if k not in ("duplicates", "confirmed_ids")}
    figures.update(retries=retries, duplicate_forms=len(report["duplicates"]))
    support.record_figures("load", figures)

    assert report["clients"] >= 16
    assert report["submissions"] >= SUBMISSIONS
    assert report["submissions"] == report["budget_used"]  # no slot lost or handed back
    assert not report["errors"], report["errors"]
    assert not report["flow_errors"], report["flow_errors"]
    assert not report["unfriendly_5xx"], report["unfriendly_5xx"]
    assert not [s for s in report["statuses"] if s.startswith("5")], report["statuses"]
    assert set(report["statuses"]) <= {"302", "400"}, report["statuses"]
    assert report["transfers_ok"] > SUBMISSIONS // 2

    assert not report["redirected_elsewhere"], report["redirected_elsewhere"]
    # Every "sent" answer names a committed transaction (duplicates name the same one).
    assert support.missing_transactions(database, report["confirmed_ids"]) == []

    books = support.books(database)
    assert books.customer_total == CUSTOMERS * FUNDING  # conserved to the cent
    assert books.all_total == 0  # double entry: the system accounts hold the other side
    assert books.below_limit == []
    verified = support.verify_ledger_cli(env)
    assert verified.get("ok", True) is True

    keys = [d["key"] for d in report["duplicates"]]
    assert len(keys) >= 50
    moved = support.transactions_for_keys(database, keys)
    for duplicate in report["duplicates"]:
        ids = {i for i in duplicate["ids"] if i is not None}
        assert moved[duplicate["key"]] <= 1, duplicate
        assert len(ids) <= 1, duplicate  # every submission of one form: one transaction
        if ids:
            assert moved[duplicate["key"]] == 1
