"""The statement archive page and its PDF/CSV downloads, through HTTP."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from banking.core.clock import SystemClock
from banking.core.models import Account
from banking.core.periods import Month
from banking.extensions import db
from banking.services import statement_archive
from banking.services.actor import Actor
from tests.support.builders import make_customer
from tests.support.sessions import login_as
from tests.support.statement_documents import check_statement_pdf, march_history


@pytest.fixture
def clock(monkeypatch):
    def set_time(when: datetime) -> None:
        monkeypatch.setattr(SystemClock, "now", lambda self: when)

    return set_time


@pytest.fixture
def issued(app, clock):
    """February's and March's statements issued for Alice and Bob."""
    alice, bob = march_history(app, clock)
    with app.app_context():
        for month in (Month(2026, 2), Month(2026, 3)):
            statement_archive.produce(actor=Actor.worker(), period=month)
        db.session.remove()
    return alice, bob


def test_archive_lists_the_issued_months_newest_first(app, client, issued):
    alice, _bob = issued
    login_as(client, app, alice.id)

    response = client.get(f"/accounts/{alice.account_id}/statements")
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert re.findall(r'data-period="([0-9-]+)"', page) == ["2026-03", "2026-02"]
    assert page.index("March 2026") < page.index("February 2026")
    for kind in ("pdf", "csv"):
        for month in ("2026-03", "2026-02"):
            assert f'href="/accounts/{alice.account_id}/statements/{month}.{kind}"' in page
    assert "$100.00" in page and "$82.50" in page  # March's opening and closing


def test_an_account_with_no_statement_yet_says_when_the_first_comes(app, client):
    newcomer = make_customer(app, "Nora New", balance="1.00")
    login_as(client, app, newcomer.id)

    page = client.get(f"/accounts/{newcomer.account_id}/statements").get_data(as_text=True)

    assert "No statements yet" in page and "data-period" not in page


def test_pdf_download_reads_back_and_is_private(app, client, issued):
    alice, _bob = issued
    login_as(client, app, alice.id)

    response = client.get(f"/accounts/{alice.account_id}/statements/2026-03.pdf")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    with app.app_context():
        number = db.session.get(Account, alice.account_id).number
        db.session.remove()
    assert disposition == f'attachment; filename="statement-{number[-4:]}-2026-03.pdf"'
    assert number not in disposition
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    check_statement_pdf(
        response.data,
        holder="Alice Able",
        period="March 1, 2026 to March 31, 2026",
        opening=10000,
        closing=8250,
    )


def test_csv_download_is_the_statement_csv_as_issued(app, client, issued):
    alice, _bob = issued
    login_as(client, app, alice.id)

    archived = client.get(f"/accounts/{alice.account_id}/statements/2026-03.csv")
    live = client.get(f"/accounts/{alice.account_id}/statement.csv?month=2026-03")

    assert archived.status_code == 200
    assert archived.mimetype == "text/csv"
    assert archived.headers["Cache-Control"] == "private, no-store"
    assert archived.headers["Content-Disposition"].endswith('-2026-03.csv"')
    # Issued from the same journal as the live download: the same rows.
    assert archived.data == live.data
    assert b"Closing balance,,,30.00,12.50,82.50" in archived.data


# One test per rule, not per path: each set-up renders four PDFs (~1 s).
def test_another_customers_statements_are_not_found(app, client, issued):
    alice, bob = issued
    login_as(client, app, bob.id)

    for path in ("statements", "statements/2026-03.pdf", "statements/2026-03.csv"):
        assert client.get(f"/accounts/{alice.account_id}/{path}").status_code == 404, path


def test_a_month_with_no_document_is_not_found(app, client, issued):
    alice, _bob = issued
    login_as(client, app, alice.id)

    for month in ("2026-04", "2025-12", "2026-13", "march", "2026-3"):
        response = client.get(f"/accounts/{alice.account_id}/statements/{month}.pdf")
        assert response.status_code == 404, month


def test_other_file_kinds_are_not_served(app, client, issued):
    alice, _bob = issued
    login_as(client, app, alice.id)

    assert client.get(f"/accounts/{alice.account_id}/statements/2026-03.html").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(app, client, issued):
    alice, _bob = issued

    for path in ("statements", "statements/2026-03.pdf"):
        response = client.get(f"/accounts/{alice.account_id}/{path}")
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_statement_page_and_history_link_to_the_archive(app, client, issued):
    alice, _bob = issued
    login_as(client, app, alice.id)
    archive = f'href="/accounts/{alice.account_id}/statements"'

    statement = client.get(f"/accounts/{alice.account_id}/statement?month=2026-03")
    history = client.get(f"/accounts/{alice.account_id}/history")

    assert archive in statement.get_data(as_text=True)
    assert archive in history.get_data(as_text=True)
