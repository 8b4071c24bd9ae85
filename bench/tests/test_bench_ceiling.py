"""Baseline (c), bench/ceiling_app.py: pgbench's transfer behind the smallest Flask app.

It must be the transfer pgbench makes (balanced, no cent made or lost, one journal row
and two entries each) and answer the confirm POST as the app does (302 to the result),
or its throughput would not be a ceiling of the same work.
"""

from __future__ import annotations

import psycopg
import pytest

from bench import ceiling_app
from bench.pgbench import SCHEMA_SQL
from bench.transfers import ceiling_clients, client_lines
from tests.support.services import TEST_DATABASE_URL, need_service

SCHEMA = "bench_ceiling_test"


@pytest.fixture
def scratch(monkeypatch):
    """pgbench's scratch tables, 10 accounts, in a schema of their own in the test DB."""
    need_service(TEST_DATABASE_URL.startswith("postgres"), "PostgreSQL (TEST_DATABASE_URL)")
    url = TEST_DATABASE_URL.replace("+psycopg", "")
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        admin.execute(f"CREATE SCHEMA {SCHEMA}")
    scoped = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{SCHEMA}"
    with psycopg.connect(scoped, autocommit=True) as connection:
        connection.execute(SCHEMA_SQL.format(accounts=10).replace("VACUUM ANALYZE", "ANALYZE"))
    monkeypatch.setenv("CEILING_DATABASE_URL", scoped)
    monkeypatch.setattr(ceiling_app, "_connection", None)
    yield scoped
    if ceiling_app._connection is not None:
        ceiling_app._connection.close()
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


def test_each_confirm_post_makes_pgbenchs_transfer_and_answers_like_the_app(scratch):
    client = ceiling_app.app.test_client()
    for n in range(20):
        response = client.post(
            "/transfers/confirm",
            data={
                "from_account": 1 + n % 10,
                "to_number": 1 + (n + 3) % 10,
                "idempotency_key": f"key-{n}",
                "csrf_token": "-",
                "amount": "0.01",
            },
        )
        assert response.status_code == 302
        assert "/transfers/" in response.headers["Location"]
    with psycopg.connect(scratch) as connection:
        journal, entries, total, moved = connection.execute(
            "SELECT (SELECT count(*) FROM raw_journal), (SELECT count(*) FROM raw_entries),"
            " (SELECT sum(balance) FROM raw_accounts), (SELECT sum(amount) FROM raw_entries)"
        ).fetchone()
    assert (journal, entries, total, moved) == (20, 40, 100_000_000 * 10, 0)


def test_a_post_without_the_fields_is_refused_and_moves_nothing(scratch):
    response = ceiling_app.app.test_client().post("/transfers/confirm", data={"to_number": "x"})
    assert response.status_code == 400


def test_the_ceilings_clients_are_shaped_like_the_apps():
    clients = ceiling_clients(10, 16)
    assert [c.source_id for c in clients[:11]] == [*range(1, 11), 1]
    assert all(str(c.source_id) not in c.destinations for c in clients)
    assert all(len(c.destinations) == 9 for c in clients)
    assert client_lines(clients, "0" * 14).count("\n") == 16
