"""The periodic jobs, run as beat runs them: through the app's Celery app (eagerly here).

Each task calls the same service as its `flask` command (banking.services.operations,
banking.services.ledger_checks); these tests prove the task's wiring, the worker's name
in the audit trail, and that a job run twice (a redelivery, or beat and an operator at
once) does its work once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from banking.core.models import JournalTransaction, LedgerCheck, ScheduledTransfer
from banking.core.models.base import utcnow
from banking.core.periods import Month
from banking.extensions import db
from banking.services import operations
from tests.cli.test_cli_interest import deposit_at
from tests.cli.test_ledger_cli import two_holds_one_past_expiry
from tests.support.audit import audit_rows
from tests.support.builders import add_account, balance_of, make_customer
from tests.support.jobs import failed_jobs
from tests.support.ledger import state


def run(app, name: str, *args, **kwargs):
    """Send task `name` the way beat does and return its result (eager: run in-process)."""
    result = app.extensions["celery"].tasks[name].apply(args=args, kwargs=kwargs)
    assert result.successful(), result.traceback
    return result.get()


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 3, 1, 0, 30, tzinfo=UTC), Month(2026, 2)),
        (datetime(2026, 1, 1, 0, 30, tzinfo=UTC), Month(2025, 12)),
        (datetime(2026, 7, 31, 23, 59, tzinfo=UTC), Month(2026, 6)),
        # 01:00 on 1 March in UTC+2 is still 28 February in UTC: interest months are UTC.
        (datetime.fromisoformat("2026-03-01T01:00:00+02:00"), Month(2026, 1)),
    ],
)
def test_previous_month_is_the_utc_month_before_now(now, expected):
    assert operations.previous_month(now) == expected


def test_verify_ledger_task_records_a_deep_check_by_the_worker(app):
    make_customer(app, balance="10.00")
    assert run(app, "banking.verify_ledger") is True
    assert run(app, "banking.verify_ledger", deep=False) is True
    with app.app_context():
        checks = db.session.scalars(select(LedgerCheck).order_by(LedgerCheck.id)).all()
        assert [(c.via, c.deep, c.ok, c.actor_id) for c in checks] == [
            ("worker", True, True, None),
            ("worker", False, True, None),
        ]
        db.session.remove()
    assert [row.details["via"] for row in audit_rows(app, "ledger.verify")] == ["worker"] * 2


def test_expire_holds_task_releases_once_and_says_the_worker_did(app):
    alice, due = two_holds_one_past_expiry(app)
    assert run(app, "banking.expire_holds") == 1
    assert run(app, "banking.expire_holds") == 0  # a second run finds nothing left
    assert state(app, alice.account_id) == (10000, 8000)
    (row,) = audit_rows(app, "transfer.hold_expired")
    assert row.actor_id is None and row.details["via"] == "worker"
    assert row.target_id == str(due.transaction_id)


def test_accrue_interest_task_pays_the_previous_month_once(app, runner):
    # Read "last month" now, as the task will: a module constant read at import goes stale
    # when the run crosses midnight on the 1st (it did, in CI at 00:00 on 1 December).
    month = operations.previous_month()
    last_month = str(month)
    alice = make_customer(app, "Alice Able")
    savings = add_account(app, alice.id)
    deposit_at(app, savings, 2_400_000, month.ends_at - timedelta(days=10))

    assert run(app, "banking.accrue_interest") == 1  # beat sends no period: last month
    assert run(app, "banking.accrue_interest") == 0  # a redelivery pays nothing twice
    replay = runner.invoke(args=["interest", "accrue", "--period", last_month])

    assert "1 already paid" in replay.output
    assert balance_of(app, savings) == 2_400_000 + 3000
    (paid,) = audit_rows(app, "interest.paid")
    assert paid.details["period"] == last_month
    runs = audit_rows(app, "interest.accrual_run")
    assert [(r.target_id, r.details["via"]) for r in runs] == [
        (last_month, "worker"),
        (last_month, "worker"),
        (last_month, "cli"),
    ]


def test_accrue_interest_task_refuses_a_month_not_over_and_lists_it_as_failed(app):
    result = app.extensions["celery"].tasks["banking.accrue_interest"].apply(
        kwargs={"period": "9998-12"}
    )
    assert result.failed()
    (job,) = failed_jobs(app)
    assert (job.task_name, job.kwargs, job.error_type) == (
        "banking.accrue_interest",
        {"period": "9998-12"},
        "InvalidPeriod",
    )


def test_run_due_transfers_task_posts_each_due_occurrence_once(app, runner):
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    with app.app_context():
        schedule = ScheduledTransfer(
            owner_id=alice.id,
            from_account_id=alice.account_id,
            to_account_id=bob.account_id,
            amount=1_500,
            memo="Rent share",
            frequency="once",
            next_run_on=(utcnow() - timedelta(days=1)).date(),
        )
        db.session.add(schedule)
        db.session.commit()
        db.session.remove()

    assert run(app, "banking.run_due_transfers").startswith("1 posted")
    assert run(app, "banking.run_due_transfers").startswith("0 posted")
    again = runner.invoke(args=["transfers", "run-due"])  # the operator, right after beat

    assert "0 posted" in again.output
    assert balance_of(app, bob.account_id) == 1_500
    with app.app_context():
        posted = db.session.scalars(
            select(JournalTransaction).where(JournalTransaction.memo == "Rent share")
        ).all()
        assert len(posted) == 1
        db.session.remove()
