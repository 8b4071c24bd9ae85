"""Statement documents: issued once per account and month, from the journal as posted,
as a PDF that reads back with the holder, the period and balances that reconcile.

Through the service (`banking.services.statement_archive`), its command
(`flask statements produce`), the worker's task and the demo seed.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from banking.core.clock import SystemClock
from banking.core.models import Account, StatementDocument, User
from banking.core.periods import Month
from banking.extensions import db
from banking.services import statement_archive
from banking.services.actor import Actor
from banking.tasks import BEAT_SCHEDULE
from tests.support.audit import audit_rows
from tests.support.builders import add_account
from tests.support.jobs import failed_jobs
from tests.support.statement_documents import (
    check_statement_pdf,
    march_history,
    opened_on,
    pdf_text,
)

MARCH = Month(2026, 3)
PERIOD_WORDS = "March 1, 2026 to March 31, 2026"


@pytest.fixture
def clock(monkeypatch):
    def set_time(when: datetime) -> None:
        monkeypatch.setattr(SystemClock, "now", lambda self: when)

    return set_time


@pytest.fixture
def march(app, clock):
    return march_history(app, clock)


def produce(app, period: Month | None = MARCH, actor: Actor | None = None):
    with app.app_context():
        report = statement_archive.produce(actor=actor or Actor.cli(), period=period)
        db.session.remove()
    return report


def documents(app) -> dict[tuple[int, str], StatementDocument]:
    with app.app_context():
        rows = db.session.scalars(select(StatementDocument)).all()
        for row in rows:  # load the deferred files before detaching
            _ = row.pdf, row.csv
        db.session.expunge_all()
    return {(row.account_id, str(Month.of(row.period))): row for row in rows}


def test_a_month_is_issued_once_per_account_and_reads_back(app, march):
    alice, bob = march

    report = produce(app)

    assert (report.produced, report.already, report.failed) == (2, 0, [])
    docs = documents(app)
    assert set(docs) == {(alice.account_id, "2026-03"), (bob.account_id, "2026-03")}
    mine = docs[(alice.account_id, "2026-03")]
    # The figures are the journal's: $100 in, −$30 and +$12.50 in March; April's $1 not.
    assert (mine.opening, mine.closing, mine.credits, mine.debits, mine.entry_count) == (
        10000,
        8250,
        1250,
        3000,
        2,
    )
    text = check_statement_pdf(
        mine.pdf, holder="Alice Able", period=PERIOD_WORDS, opening=10000, closing=8250
    )
    assert "Rent share" in text and "Thanks" in text
    assert "Transfer · April" not in text  # April's transfer is not March's
    rows = list(csv.reader(io.StringIO(mine.csv.decode("utf-8"))))
    # The last column is the category (issue 17): empty on the balance lines.
    assert rows[1][1:] == ["Opening balance", "", "", "", "", "100.00", ""]
    assert rows[-1][1:] == ["Closing balance", "", "", "30.00", "12.50", "82.50", ""]
    check_statement_pdf(
        docs[(bob.account_id, "2026-03")].pdf,
        holder="Bob Baker",
        period=PERIOD_WORDS,
        opening=5000,
        closing=5000 + 3000 - 1250,
    )


def test_the_pdf_is_the_print_view_without_the_screen_only_parts(app, march):
    produce(app)
    alice, _bob = march
    text = pdf_text(documents(app)[(alice.account_id, "2026-03")].pdf)

    # The print view's header (statement.html's print-only section) ...
    for words in ("Statement of account", "Account holder", "Account number", "Issued"):
        assert words in text
    assert "Issued April 2, 2026" in text
    # ... and none of the page's links, buttons and forms.
    for words in ("Back to history", "Previous month", "Another month", "Download CSV", "Sign in"):
        assert words not in text


def test_running_again_issues_nothing_twice_and_never_rewrites_a_document(app, march):
    alice, _bob = march
    produce(app, actor=Actor.worker())
    before = documents(app)
    with app.app_context():  # the account renamed after the statement was issued
        db.session.get(Account, alice.account_id).nickname = "Renamed later"
        db.session.commit()

    again = produce(app)

    assert (again.produced, again.already) == (0, 2)
    after = documents(app)
    assert {key: doc.pdf for key, doc in after.items()} == {
        key: doc.pdf for key, doc in before.items()
    }
    assert "Renamed later" not in pdf_text(after[(alice.account_id, "2026-03")].pdf)
    runs = audit_rows(app, statement_archive.PRODUCTION_RUN)
    assert [(r.target_id, r.actor_id, r.details["via"], r.details["produced"]) for r in runs] == [
        ("2026-03", None, "worker", 2),
        ("2026-03", None, "cli", 0),
    ]


def test_only_accounts_open_during_the_month_get_one(app, march, clock):
    alice, _bob = march
    later = add_account(app, alice.id, nickname="Opened in April")
    opened_on(app, later, datetime(2026, 4, 1, 12, tzinfo=UTC))
    closed_before = add_account(app, alice.id, nickname="Closed in February")
    closed_during = add_account(app, alice.id, nickname="Closed in March")
    with app.app_context():
        for account_id, closed in (
            (closed_before, datetime(2026, 2, 20, tzinfo=UTC)),
            (closed_during, datetime(2026, 3, 15, tzinfo=UTC)),
        ):
            account = db.session.get(Account, account_id)
            account.opened_at = datetime(2026, 2, 2, tzinfo=UTC)
            account.status, account.closed_at = "closed", closed
        db.session.commit()
        db.session.remove()

    produce(app)

    issued = {account_id for account_id, _ in documents(app)}
    assert closed_during in issued
    assert later not in issued and closed_before not in issued


def test_a_month_not_over_is_refused(app, march):
    with app.app_context():
        with pytest.raises(statement_archive.PeriodNotOver, match="has not ended"):
            statement_archive.parse_period("2026-04")
        with pytest.raises(statement_archive.PeriodNotOver, match="YYYY-MM"):
            statement_archive.parse_period("April")
        with pytest.raises(statement_archive.PeriodNotOver):
            statement_archive.produce(actor=Actor.cli(), period=Month(2026, 4))
    assert documents(app) == {}


def test_months_are_the_banks_calendar_months(app, clock):
    app.config["DISPLAY_TIMEZONE"] = "America/New_York"
    try:
        with app.app_context():
            # 02:00 UTC on 1 April is still 31 March in New York: March is not over there.
            clock(datetime(2026, 4, 1, 2, 0, tzinfo=UTC))
            assert statement_archive.default_period() == Month(2026, 2)
            with pytest.raises(statement_archive.PeriodNotOver):
                statement_archive.parse_period("2026-03")
            clock(datetime(2026, 4, 1, 4, 30, tzinfo=UTC))  # 00:30 on 1 April there
            assert statement_archive.default_period() == MARCH
            assert statement_archive.parse_period("2026-03") == MARCH
    finally:
        app.config["DISPLAY_TIMEZONE"] = "UTC"


def test_one_account_failing_loses_no_other_and_a_rerun_fills_the_gap(app, march, monkeypatch):
    alice, bob = march
    real_render = statement_archive.render_statement_pdf

    def broken_for_alice(account, *args):
        if account.id == alice.account_id:
            raise RuntimeError("font missing")
        return real_render(account, *args)

    monkeypatch.setattr(statement_archive, "render_statement_pdf", broken_for_alice)
    report = produce(app)

    assert report.failed == [(alice.account_id, "RuntimeError")]
    assert report.produced == 1
    assert set(documents(app)) == {(bob.account_id, "2026-03")}
    (run,) = audit_rows(app, statement_archive.PRODUCTION_RUN)
    assert run.success is False and run.details["failed"] == 1

    monkeypatch.setattr(statement_archive, "render_statement_pdf", real_render)
    rerun = produce(app)
    assert (rerun.produced, rerun.already, rerun.failed) == (1, 1, [])
    assert len(documents(app)) == 2


def run_task(app, **kwargs):
    return app.extensions["celery"].tasks["banking.produce_statements"].apply(kwargs=kwargs)


def test_the_worker_issues_last_month_on_the_1st_once(app, march):
    assert BEAT_SCHEDULE["produce-statements"]["task"] == "banking.produce_statements"
    assert BEAT_SCHEDULE["produce-statements"]["schedule"].day_of_month == {1, 2}

    first = run_task(app)  # beat sends no period: last month (the clock says 2 April)
    second = run_task(app)

    assert (first.get(), second.get()) == (2, 0)
    assert len(documents(app)) == 2
    assert {r.details["via"] for r in audit_rows(app, statement_archive.PRODUCTION_RUN)} == {
        "worker"
    }
    assert failed_jobs(app) == []


def test_a_worker_run_with_failures_is_listed_for_the_admin_with_its_month(app, march, monkeypatch):
    def broken(*_args):
        raise RuntimeError("renderer down")

    monkeypatch.setattr(statement_archive, "render_statement_pdf", broken)
    result = run_task(app)  # no period: the job must still say which month it was for

    assert result.failed()
    (job,) = failed_jobs(app)
    assert (job.task_name, job.kwargs, job.error_type) == (
        "banking.produce_statements",
        {"period": "2026-03"},
        "StatementsIncomplete",
    )


def test_the_command_issues_a_past_month_and_refuses_an_open_one(app, runner, march):
    done = runner.invoke(args=["statements", "produce", "--period", "2026-03"])
    again = runner.invoke(args=["statements", "produce", "--period", "2026-03"])
    open_month = runner.invoke(args=["statements", "produce", "--period", "2026-04"])

    assert done.exit_code == 0, done.output
    assert "Statements for 2026-03: 2 produced, 0 already produced, 0 failed." in done.output
    assert "0 produced, 2 already produced" in again.output
    assert open_month.exit_code == 2 and "has not ended yet" in open_month.output
    assert len(documents(app)) == 2
    # Issuing documents reads the journal and writes beside it: the books are untouched.
    verified = runner.invoke(args=["ledger", "verify", "--deep"])
    assert verified.exit_code == 0, verified.output


def test_the_demo_issues_its_customers_last_two_months(app, runner):
    result = runner.invoke(args=["seed-demo", "--customers", "2", "--months", "3", "--seed", "3"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        last = statement_archive.default_period()
        months = {
            str(Month.of(period))
            for period in db.session.scalars(select(StatementDocument.period).distinct())
        }
        count = db.session.scalar(select(func.count(StatementDocument.id)))
        doc, holder = db.session.execute(
            select(StatementDocument, User.full_name)
            .join(Account, Account.id == StatementDocument.account_id)
            .join(User, User.id == Account.owner_id)
            .where(StatementDocument.period == last.first_day)
            .limit(1)
        ).one()
        pdf = doc.pdf
        db.session.remove()
    assert months == {str(last), str(last.previous())}
    assert f"Issued {count} past monthly statements" in result.output
    assert holder in pdf_text(pdf)


def test_the_renderer_reads_static_files_and_nothing_else(app):
    from banking.services.statement_pdf import DOCUMENT_BASE_URL, _static_only_fetcher

    fetch = _static_only_fetcher(Path(app.static_folder))

    css = fetch(f"{DOCUMENT_BASE_URL}static/css/print.css?v=1")
    assert b"@page" in css.read() and css.content_type == "text/css"
    for url in (
        "https://example.com/static/css/print.css",  # the network
        "file:///etc/passwd",
        f"{DOCUMENT_BASE_URL}static/../config.py",  # out of static/
        f"{DOCUMENT_BASE_URL}static/css/none.css",
        f"{DOCUMENT_BASE_URL}accounts/1/statement",
    ):
        with pytest.raises(ValueError):
            fetch(url)
