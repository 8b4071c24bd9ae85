"""On PostgreSQL a search page reads at most SCAN_WINDOW entries per account, however
long the history: EXPLAIN ANALYZE counts the rows each index scan on entries returned."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from banking.core.clock import SystemClock
from banking.core.search import parse_query
from banking.core.search import queries as search_queries
from banking.extensions import db
from tests.support.builders import add_account, make_customer
from tests.support.ledger import send

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
WINDOW = 20


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def test_a_search_page_reads_a_bounded_window_of_entries(app, requires_postgres, monkeypatch):
    alice = make_customer(app, "Alice Able", balance="900.00")
    bob = make_customer(app, "Bob Baker")
    savings = add_account(app, alice.id, nickname="Rainy day")
    for i in range(60):
        when = T0 + timedelta(minutes=i)
        monkeypatch.setattr(SystemClock, "now", lambda self, when=when: when)
        send(app, alice.account_id, bob.account_id if i % 2 else savings, 100, memo=f"Hay {i}")
    monkeypatch.setattr(search_queries, "SCAN_WINDOW", WINDOW)
    query = parse_query("needle")  # matches nothing: the worst case reads the whole window

    with app.app_context():
        window = search_queries._window([alice.account_id, savings], None, query, "UTC")
        stmt = search_queries._entry_select(window, query, alice.id, 26)
        compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
        with db.engine.connect() as conn:
            # A test table is tiny: make the planner choose the plan a big one gets.
            for setting in ("enable_seqscan", "enable_bitmapscan"):
                conn.execute(text(f"SET LOCAL {setting} = off"))
            raw = conn.execute(text(f"EXPLAIN (ANALYZE, FORMAT JSON) {compiled}")).scalar()
            conn.rollback()
    plan = (raw if isinstance(raw, list) else json.loads(raw))[0]["Plan"]
    scans = [node for node in _nodes(plan) if node.get("Relation Name") == "entries"]
    assert scans, plan
    # One backward walk of the keyset index per account, each stopped by its LIMIT.
    assert all(node["Index Name"] == "ix_entries_account_created_id" for node in scans)
    assert len(scans) == 2
    assert all(node["Actual Rows"] * node["Actual Loops"] <= WINDOW for node in scans)
    # PostgreSQL merges the two walks in order and stops when the window is full: the
    # whole page read WINDOW entries (+1 per account to see the merge's next row), of 90.
    assert sum(node["Actual Rows"] for node in scans) <= WINDOW + len(scans)
