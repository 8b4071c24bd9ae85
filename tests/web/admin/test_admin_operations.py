"""The admin side of operations, through HTTP: the ledger check's last result (whoever
ran it) and the failed-jobs list with its audited, once-only retry."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from banking.core.models import FailedJobStatus, LedgerCheck
from banking.extensions import db
from banking.services import email as email_service
from banking.services import failed_jobs as failed_jobs_service
from tests.support.admin import HIDDEN, admin_client, confirm_action, customer_client, start_action
from tests.support.audit import audit_rows
from tests.support.builders import make_customer
from tests.support.forms import csrf_from, submit
from tests.support.jobs import failed_jobs, make_failed_job
from tests.support.ledger import execute


def ledger_checks(app) -> list[LedgerCheck]:
    with app.app_context():
        rows = list(db.session.scalars(select(LedgerCheck).order_by(LedgerCheck.id)))
        db.session.expunge_all()
    return rows


# The integrity page ---------------------------------------------------------------------
def test_the_admin_check_is_recorded_and_shown_with_who_ran_it(app, client):
    admin = admin_client(app, client)
    make_customer(app, balance="10.00")
    assert "has not been verified yet" in client.get("/admin/integrity").get_data(as_text=True)

    body = submit(client, "/admin/integrity", follow_redirects=True).get_data(as_text=True)

    assert "The ledger check passed: every invariant holds." in body
    assert "Passed" in body and f"{admin.email}" in body and "Quick" in body
    (check,) = ledger_checks(app)
    assert (check.ok, check.deep, check.via, check.actor_id) == (True, False, "web", admin.id)
    (row,) = audit_rows(app, "ledger.verify")
    assert row.actor_id == admin.id and row.success is True
    assert row.details == {"ok": True, "breaches": 0, "deep": False, "via": "web"}


@pytest.mark.corrupts_ledger
def test_the_admin_check_lists_the_breaches_it_found(app, client):
    admin_client(app, client)
    customer = make_customer(app, balance="10.00")
    execute(app, "UPDATE accounts SET balance = balance + 1 WHERE id = :id", id=customer.account_id)

    body = submit(client, "/admin/integrity", follow_redirects=True).get_data(as_text=True)

    (check,) = ledger_checks(app)
    assert check.ok is False and check.breaches >= 1
    assert f"The ledger check found {check.breaches} problem(s)." in body
    assert "Failed" in body and "account_balance" in body
    (row,) = audit_rows(app, "ledger.verify")
    assert row.success is False


def test_the_page_shows_the_nightly_deep_check_run_by_the_worker(app, client):
    admin_client(app, client)
    make_customer(app, balance="10.00")
    result = app.extensions["celery"].tasks["banking.verify_ledger"].apply()
    assert result.get() is True

    body = client.get("/admin/integrity").get_data(as_text=True)

    assert "the background worker" in body and "Deep" in body and "Passed" in body
    (check,) = ledger_checks(app)
    assert (check.via, check.actor_id, check.deep) == ("worker", None, True)
    (row,) = audit_rows(app, "ledger.verify")
    assert row.actor_id is None and row.details["via"] == "worker"


def test_the_page_shows_the_latest_run_whoever_ran_it(app, client, runner):
    admin_client(app, client)
    submit(client, "/admin/integrity")
    assert runner.invoke(args=["ledger", "verify"]).exit_code == 0

    body = client.get("/admin/integrity").get_data(as_text=True)

    assert "the command line (flask ledger verify)" in body
    assert [check.via for check in ledger_checks(app)] == ["web", "cli"]


# The failed-jobs list -------------------------------------------------------------------
def test_the_list_shows_open_jobs_without_revealing_an_address(app, client):
    admin_client(app, client)
    customer = make_customer(app, "Carol Client")
    reset_job = make_failed_job(
        app,
        "banking.send_reset_for_address",
        ["stranger.danger@example.org"],
        {"origin": {"ip": "203.0.113.9", "user_agent": "Curl", "request_id": "abc"}},
        error_type="ConnectionRefusedError",
        attempts=9,
    )
    mail_job = make_failed_job(app, "banking.send_user_email", ["password_changed", customer.id])

    page = client.get("/admin/jobs")
    body = page.get_data(as_text=True)

    assert page.status_code == 200
    assert "Password reset email (by address)" in body and "ConnectionRefusedError" in body
    assert "s•••@example.org" in body
    assert "stranger.danger" not in body and "203.0.113.9" not in body
    assert "password changed notice" in body and f"/admin/users/{customer.id}" in body
    assert f"/admin/jobs/{reset_job}/retry" in body and f"/admin/jobs/{mail_job}/retry" in body
    confirm = start_action(client, f"/admin/jobs/{reset_job}/retry", {"reason": "SMTP is back"})
    assert "stranger.danger" not in confirm.get_data(as_text=True)


def test_the_list_says_when_nothing_failed(app, client):
    admin_client(app, client)
    body = client.get("/admin/jobs").get_data(as_text=True)
    assert "No failed jobs" in body and "No job has been retried yet." in body


def test_the_overview_counts_open_jobs_only_when_there_are_some(app, client):
    admin_client(app, client)
    assert "Failed background jobs" not in client.get("/admin/").get_data(as_text=True)
    make_failed_job(app)
    make_failed_job(app)

    body = client.get("/admin/").get_data(as_text=True)

    assert "Failed background jobs" in body
    assert 'data-testid="failed-jobs-count"><a href="/admin/jobs">2</a>' in body
    assert 'href="/admin/jobs">Failed jobs</a>' in body  # in the admin navigation


# Retrying -------------------------------------------------------------------------------
def test_a_failed_email_is_retried_once_the_mail_server_is_back(app, client, monkeypatch):
    from tests.web.auth.test_auth_reset import smtp_down

    admin = admin_client(app, client)
    customer = make_customer(app, "Carol Client", email="carol@example.com")
    with monkeypatch.context() as patched:
        smtp_down(app, patched)
        anonymous = app.test_client()  # the customer, signed out, asking for a reset
        submit(anonymous, "/auth/forgot", {"email": customer.email})
    app.config["MAIL_BACKEND"] = "memory"
    (job,) = failed_jobs(app)
    assert job.task_name == "banking.send_reset_for_address"

    page = confirm_action(client, f"/admin/jobs/{job.id}/retry", {"reason": "SMTP is back"})

    body = page.get_data(as_text=True)
    assert f"Job #{job.id} was handed to the worker again" in body
    assert [m.to for m in email_service.outbox] == ["carol@example.com"]
    (retried,) = failed_jobs(app)
    assert retried.status == FailedJobStatus.RETRIED.value
    assert retried.retried_by_id == admin.id and retried.retried_at is not None
    (row,) = audit_rows(app, "admin.job.retry")
    assert (row.actor_id, row.target_type, row.target_id) == (admin.id, "failed_job", str(job.id))
    assert row.details["reason"] == "SMTP is back" and row.details["via"] == "web"
    assert "carol@example.com" not in str(row.details)
    assert "Recently retried" in body and admin.full_name in body


def test_a_job_cannot_be_retried_twice(app, client):
    admin_client(app, client)
    job_id = make_failed_job(app)
    url = f"/admin/jobs/{job_id}/retry"
    confirm = start_action(client, url, {"reason": "worker restarted"})
    fields = {name: html.unescape(value) for name, value in HIDDEN.findall(confirm.text)}

    first = client.post(url, data=fields, follow_redirects=True)
    second = client.post(url, data=fields, follow_redirects=True)  # a second tab, a double click

    assert first.status_code == second.status_code == 200
    assert "That job was already retried" in second.get_data(as_text=True)
    assert len(audit_rows(app, "admin.job.retry")) == 1


def test_a_job_that_fails_again_comes_back_as_a_new_row(app, client):
    admin_client(app, client)
    # An interest run for a month that has not ended is refused (not a transient error).
    job_id = make_failed_job(app, "banking.accrue_interest", [], {"period": "9998-12"})

    confirm_action(client, f"/admin/jobs/{job_id}/retry", {"reason": "try again"})

    old, new = failed_jobs(app)
    assert (old.id, old.status) == (job_id, "retried")
    assert new.status == "open" and new.kwargs == {"period": "9998-12"}
    assert new.error_type == "InvalidPeriod"
    assert f"/admin/jobs/{new.id}/retry" in client.get("/admin/jobs").get_data(as_text=True)


def test_a_queue_that_refuses_the_job_leaves_it_open(app, client, monkeypatch):
    admin_client(app, client)
    job_id = make_failed_job(app)

    def broker_down(*_args, **_kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(failed_jobs_service, "enqueue", broker_down)
    page = confirm_action(client, f"/admin/jobs/{job_id}/retry", {"reason": "try again"})

    assert page.status_code == 200
    assert "could not be handed to the worker" in page.get_data(as_text=True)
    (job,) = failed_jobs(app)
    assert job.status == "open" and job.retried_by_id is None
    assert [row.success for row in audit_rows(app, "admin.job.retry")] == [True, False]


def test_retry_needs_a_reason_csrf_and_a_real_job(app, client):
    admin_client(app, client)
    job_id = make_failed_job(app)
    url = f"/admin/jobs/{job_id}/retry"
    assert submit(client, url, {"reason": ""}).status_code == 400
    assert client.post(url, data={"reason": "x", "confirmed": "yes"}).status_code == 400
    assert client.get("/admin/jobs/999999/retry").status_code == 404
    assert submit(client, "/admin/jobs/999999/retry", form_url=url).status_code == 404
    (job,) = failed_jobs(app)
    assert job.status == "open"
    assert audit_rows(app, "admin.job.retry") == []


def test_customers_cannot_see_or_retry_jobs(app, client):
    job_id = make_failed_job(app)
    customer_client(app, client)
    assert client.get("/admin/jobs").status_code == 403
    token_page = client.get("/auth/profile").get_data(as_text=True)
    response = client.post(
        f"/admin/jobs/{job_id}/retry",
        data={"csrf_token": csrf_from(token_page), "reason": "mine", "confirmed": "yes"},
    )
    assert response.status_code == 403
    (job,) = failed_jobs(app)
    assert job.status == "open"


def test_statements_the_worker_could_not_issue_are_issued_by_a_retry(app, client, monkeypatch):
    from banking.core.clock import SystemClock
    from banking.core.models import StatementDocument
    from banking.services import statement_archive
    from tests.support.statement_documents import march_history

    alice, bob = march_history(
        app, lambda when: monkeypatch.setattr(SystemClock, "now", lambda self: when)
    )
    real_render = statement_archive.render_statement_pdf

    def broken_for_alice(account, *args):
        if account.id == alice.account_id:
            raise RuntimeError("renderer down")
        return real_render(account, *args)

    with monkeypatch.context() as patched:
        patched.setattr(statement_archive, "render_statement_pdf", broken_for_alice)
        beat = app.extensions["celery"].tasks["banking.produce_statements"].apply()
    assert beat.failed()
    admin_client(app, client)
    (job,) = failed_jobs(app)
    listing = html.unescape(client.get("/admin/jobs").get_data(as_text=True))
    assert "Monthly statement documents" in listing and "period 2026-03" in listing

    confirm_action(client, f"/admin/jobs/{job.id}/retry", {"reason": "renderer fixed"})

    with app.app_context():
        issued = db.session.scalars(select(StatementDocument.account_id)).all()
        db.session.remove()
    assert sorted(issued) == sorted([alice.account_id, bob.account_id])
