"""Monthly statements: the page, its reconciliation, the CSV, and `flask statements export`."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest

from banking.core.clock import SystemClock
from banking.core.statements import InvalidMonth, Month, build_statement
from banking.extensions import db
from tests.support.builders import make_customer
from tests.support.ledger import send
from tests.support.sessions import login_as


@pytest.fixture
def clock(monkeypatch):
    def set_time(when: datetime) -> None:
        monkeypatch.setattr(SystemClock, "now", lambda self: when)

    return set_time


@pytest.fixture
def march(app, clock):
    """Alice: $100 deposited in February; in March she sends $30 and gets $12.50; April $1."""
    clock(datetime(2026, 2, 14, 10, tzinfo=UTC))
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker", balance="50.00")
    clock(datetime(2026, 3, 1, 0, 0, tzinfo=UTC))
    send(app, alice.account_id, bob.account_id, 3000, memo="=cmd|' /C calc'!A0")
    clock(datetime(2026, 3, 31, 23, 59, tzinfo=UTC))
    send(app, bob.account_id, alice.account_id, 1250, memo="Thanks")
    clock(datetime(2026, 4, 1, 0, 0, tzinfo=UTC))
    send(app, alice.account_id, bob.account_id, 100, memo="April")
    return alice, bob


def test_statement_reconciles_opening_entries_and_closing(app, march):
    alice, _bob = march
    with app.app_context():
        statement = build_statement(db.session, alice.account_id, Month(2026, 3))
        db.session.remove()

    assert statement.opening_balance == 10000
    assert [row.amount for row in statement.entries] == [-3000, 1250]
    assert statement.closing_balance == 8250
    assert statement.opening_balance + sum(r.amount for r in statement.entries) == 8250
    assert statement.reconciles
    assert (statement.money_in, statement.money_out) == (1250, 3000)


def test_statement_of_a_quiet_month_carries_the_balance(app, march):
    alice, _bob = march
    with app.app_context():
        statement = build_statement(db.session, alice.account_id, Month(2026, 5))
        db.session.remove()
    assert statement.entries == []
    assert statement.opening_balance == statement.closing_balance == 8150


def test_statement_page_shows_the_month(app, client, march):
    alice, _bob = march
    login_as(client, app, alice.id)

    response = client.get(f"/accounts/{alice.account_id}/statement?month=2026-03")
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "March 2026" in page
    assert "$100.00" in page and "$82.50" in page
    assert "Thanks" in page and "April" not in page
    assert "css/print.css" in page and 'media="print"' in page
    assert 'type="month"' in page
    assert "does not reconcile" not in page


def test_statement_page_defaults_to_this_month(app, client):
    alice = make_customer(app, "Alice Able", balance="5.00")
    login_as(client, app, alice.id)

    response = client.get(f"/accounts/{alice.account_id}/statement")

    assert response.status_code == 200
    assert "Test deposit" in response.get_data(as_text=True)


def test_statement_of_a_quiet_month_shows_zero_without_a_sign(app, client, march):
    alice, _bob = march
    login_as(client, app, alice.id)

    page = client.get(f"/accounts/{alice.account_id}/statement?month=2026-05").get_data(
        as_text=True
    )

    money_in = re.search(r'data-testid="money-in">([^<]*)<', page).group(1)
    money_out = re.search(r'data-testid="money-out">([^<]*)<', page).group(1)
    assert (money_in, money_out) == ("$0.00", "$0.00")
    assert "−$0.00" not in page and "+$0.00" not in page


def test_statement_summary_signs_money_in_and_out(app, client, march):
    alice, _bob = march
    login_as(client, app, alice.id)

    page = client.get(f"/accounts/{alice.account_id}/statement?month=2026-03").get_data(
        as_text=True
    )

    assert re.search(r'class="balance credit" data-testid="money-in">\+\$12\.50<', page)
    assert re.search(r'class="balance debit" data-testid="money-out">\u2212\$30\.00<', page)


@pytest.mark.parametrize("month", ["2026-13", "26-03", "march", "2026-3", "0000-01", "2026-03-01"])
def test_statement_with_a_bad_month_is_a_form_error(app, client, month):
    alice = make_customer(app, "Alice Able")
    login_as(client, app, alice.id)

    response = client.get(f"/accounts/{alice.account_id}/statement", query_string={"month": month})

    assert response.status_code == 400
    assert "field-error" in response.get_data(as_text=True)


def test_statement_of_another_customers_account_is_not_found(app, client, march):
    alice, bob = march
    login_as(client, app, bob.id)

    assert client.get(f"/accounts/{alice.account_id}/statement?month=2026-03").status_code == 404
    assert (
        client.get(f"/accounts/{alice.account_id}/statement.csv?month=2026-03").status_code == 404
    )


def test_statement_csv_download_is_streamed_and_safe(app, client, march):
    alice, _bob = march
    login_as(client, app, alice.id)

    response = client.get(f"/accounts/{alice.account_id}/statement.csv?month=2026-03")

    assert response.status_code == 200
    assert response.is_streamed
    assert (
        f"statement-{alice.account_number[-4:]}-2026-03.csv"
        in response.headers["Content-Disposition"]
    )
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    # Balance is column 6; the category (column 7) is blank on the framing lines.
    assert rows[1][1] == "Opening balance" and rows[1][6:] == ["100.00", ""]
    assert rows[2][3] == "'=cmd|' /C calc'!A0"
    assert rows[-1][1] == "Closing balance" and rows[-1][6:] == ["82.50", ""]


def test_statement_csv_with_bad_month_is_400(app, client):
    alice = make_customer(app, "Alice Able")
    login_as(client, app, alice.id)
    assert client.get(f"/accounts/{alice.account_id}/statement.csv?month=x").status_code == 400


def test_month_parsing():
    assert Month.parse("2026-12").next() == Month(2027, 1)
    assert Month.parse("2026-01").previous() == Month(2025, 12)
    assert Month(2024, 2).last_day.day == 29
    with pytest.raises(InvalidMonth):
        Month.parse("2026-00")


# The CLI -----------------------------------------------------------------------------
def test_cli_exports_a_statement_to_stdout(app, runner, march):
    alice, _bob = march

    result = runner.invoke(
        args=["statements", "export", "--account", alice.account_number, "--month", "2026-03"]
    )

    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0][0] == "Date (UTC)"
    assert rows[1][6] == "100.00" and rows[-1][6] == "82.50"


def test_cli_exports_a_statement_to_a_file(app, runner, march, tmp_path):
    alice, _bob = march
    target = tmp_path / "march.csv"

    result = runner.invoke(
        args=[
            "statements",
            "export",
            "--account",
            alice.account_number,
            "--month",
            "2026-03",
            "--output",
            str(target),
        ]
    )

    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert len(rows) == 5  # header, opening, two entries, closing
    assert alice.account_number not in result.output


def test_cli_refuses_an_unknown_account_number(app, runner):
    result = runner.invoke(
        args=["statements", "export", "--account", "000000000000", "--month", "2026-03"]
    )
    assert result.exit_code != 0
    assert "No customer account has that number" in result.output
    assert "Traceback" not in result.output


def test_cli_refuses_a_bad_month(app, runner):
    alice = make_customer(app, "Alice Able")
    result = runner.invoke(
        args=["statements", "export", "--account", alice.account_number, "--month", "2026-13"]
    )
    assert result.exit_code != 0
    assert "Enter a real month" in result.output
