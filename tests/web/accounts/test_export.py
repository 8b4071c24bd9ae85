"""CSV export of history: streamed row by row, filtered, quoted, formula-safe, owner only."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from banking.core.clock import SystemClock
from banking.core.history import HistoryFilters, export_row, iter_export_rows, iter_history
from banking.extensions import db
from tests.support.builders import make_customer
from tests.support.ledger import send
from tests.support.sessions import login_as

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    def set_time(when: datetime) -> None:
        monkeypatch.setattr(SystemClock, "now", lambda self: when)

    return set_time


def export(client, account_id, **params):
    return client.get(f"/accounts/{account_id}/history/export.csv", query_string=params)


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_export_streams_a_csv_of_the_history(app, client, clock):
    clock(T0)
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    clock(T0 + timedelta(days=1))
    send(app, alice.account_id, bob.account_id, 1250, memo="Books")
    login_as(client, app, alice.id)

    response = export(client, alice.account_id)

    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    rows = rows_of(response)
    assert rows[0] == [
        "Date (UTC)",
        "Type",
        "Counterparty",
        "Memo",
        "Money out",
        "Money in",
        "Balance",
        "Category",
    ]
    assert rows[1][1:] == [
        "Transfer",
        f"B*** B*** ••••{bob.account_number[-4:]}",
        "Books",
        "12.50",
        "",
        "87.50",
        "Transfers",
    ]
    assert rows[1][0] == "2026-04-02 09:00:00"
    assert rows[2][3:] == ["Test deposit", "", "100.00", "100.00", "Other"]


def test_export_filename_has_last_four_digits_and_dates(app, client):
    alice = make_customer(app, "Alice Able", balance="1.00")
    login_as(client, app, alice.id)

    response = export(client, alice.account_id, date_from="2026-01-01", date_to="2026-01-31")

    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"account-{alice.account_number[-4:]}-2026-01-01-to-2026-01-31.csv" in disposition
    assert alice.account_number not in disposition


def test_export_applies_the_filters(app, client, clock):
    clock(T0)
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker", balance="100.00")
    send(app, alice.account_id, bob.account_id, 500, memo="coffee")
    send(app, bob.account_id, alice.account_id, 700, memo="tea")
    login_as(client, app, alice.id)

    rows = rows_of(export(client, alice.account_id, direction="in", q="tea"))

    assert [row[3] for row in rows[1:]] == ["tea"]


@pytest.mark.parametrize("memo", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)"])
def test_export_neutralizes_formulas(app, client, memo):
    alice = make_customer(app, "Alice Able", balance="10.00")
    bob = make_customer(app, "Bob Baker")
    send(app, alice.account_id, bob.account_id, 100, memo=memo)
    login_as(client, app, alice.id)

    rows = rows_of(export(client, alice.account_id, direction="out"))

    assert rows[1][3] == "'" + memo
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_export_quotes_commas_quotes_and_newlines(app, client):
    alice = make_customer(app, "Alice Able", balance="10.00")
    bob = make_customer(app, "Bob Baker")
    memo = 'Rent, "May"\nsecond line'
    send(app, alice.account_id, bob.account_id, 100, memo=memo)
    login_as(client, app, alice.id)

    rows = rows_of(export(client, alice.account_id, direction="out"))

    assert rows[1][3] == memo
    assert len(rows) == 2


def test_export_of_another_customers_account_is_not_found(app, client):
    alice = make_customer(app, "Alice Able", balance="10.00")
    mallory = make_customer(app, "Mallory Mean")
    login_as(client, app, mallory.id)

    response = export(client, alice.account_id)

    assert response.status_code == 404
    assert "Test deposit" not in response.get_data(as_text=True)


def test_export_with_bad_filters_is_refused_with_the_form(app, client):
    alice = make_customer(app, "Alice Able", balance="10.00")
    login_as(client, app, alice.id)

    response = export(client, alice.account_id, min_amount="lots")

    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "Enter a number like 25 or 25.50." in response.get_data(as_text=True)


@pytest.fixture
def seven_dollars_sent(app, alice, bob):
    """Alice's account after seven $1.00 transfers to Bob: eight rows with the deposit."""
    for _ in range(7):
        send(app, alice.account_id, bob.account_id, 100)
    return alice


def test_export_iterator_reads_in_batches(app, seven_dollars_sent):
    """The export goes through a yield_per stream: rows arrive before the query is drained."""
    alice = seven_dollars_sent
    with app.app_context():
        rows = iter_history(db.session, alice.account_id, HistoryFilters(), batch_size=2)
        first = next(rows)
        assert first.amount == -100
        assert len(list(rows)) == 7  # six more transfers and the deposit
        db.session.remove()


def test_export_dates_are_utc_whatever_the_database_time_zone(app, clock):
    """PostgreSQL hands timestamptz back in the connection's TimeZone; the CSV says UTC."""
    clock(T0)
    alice = make_customer(app, "Alice Able", balance="100.00")
    with app.app_context():
        if db.session.get_bind().dialect.name != "postgresql":
            pytest.skip("only PostgreSQL has a session time zone")
        db.session.execute(text("SET TIME ZONE 'Asia/Tokyo'"))
        (row,) = list(iter_export_rows(db.session, alice.account_id))
        (history_row,) = list(iter_history(db.session, alice.account_id, HistoryFilters()))
        db.session.remove()
    assert row[0] == "2026-04-01 09:00:00"
    assert export_row(history_row)[0] == "2026-04-01 09:00:00"


def test_export_rows_stream_in_batches(app, seven_dollars_sent):
    """The export route's own reader: rows arrive before the query is drained."""
    alice = seven_dollars_sent
    with app.app_context():
        rows = iter_export_rows(db.session, alice.account_id, batch_size=2)
        first = next(rows)
        assert first[4:] == ["1.00", "", "93.00", "Transfers"]
        assert len(list(rows)) == 7
        db.session.remove()
