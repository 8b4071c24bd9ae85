"""Scheduled transfers: the pages and forms, pause/resume/cancel, and running what is due."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from banking.core import ledger
from banking.core.models import Account, JournalTransaction, ScheduledTransfer
from banking.core.scheduling import run_due
from banking.extensions import db
from tests.support.audit import audit_actions
from tests.support.builders import balance_of, detached, make_customer, set_status
from tests.support.forms import submit
from tests.support.sessions import login_as

# Two days ahead, read at import: still in the future if the run crosses midnight (CI did,
# and a start date of "today" then changed what the form answered).
TOMORROW = date.today() + timedelta(days=2)


def make_schedule(app, owner, destination_id: int, amount: int = 1000, **fields) -> int:
    fields.setdefault("frequency", "once")
    fields.setdefault("next_run_on", date(2026, 6, 1))
    with app.app_context():
        schedule = ScheduledTransfer(
            owner_id=owner.id,
            from_account_id=owner.account_id,
            to_account_id=destination_id,
            amount=amount,
            memo=fields.pop("memo", "Scheduled"),
            **fields,
        )
        db.session.add(schedule)
        db.session.commit()
        schedule_id = schedule.id
        db.session.remove()
    return schedule_id


def load(app, schedule_id: int) -> ScheduledTransfer:
    return detached(app, ScheduledTransfer, schedule_id)


def run(app, today: date, **options):
    with app.app_context():
        try:
            return run_due(db.session, today, **options)
        finally:
            db.session.remove()


def scheduled_postings(app) -> list[str]:
    with app.app_context():
        keys = db.session.scalars(
            select(JournalTransaction.idempotency_key).where(
                JournalTransaction.idempotency_key.like("%:schedule:%")
            )
        ).all()
        db.session.remove()
    return sorted(keys)


# Creating ----------------------------------------------------------------------------
def schedule_form(client, **data):
    payload = {
        "amount": "12.50",
        "memo": "Allowance",
        "frequency": "once",
        "start_on": TOMORROW.isoformat(),
        "day_of_month": "",
        "end_on": "",
        "to_account": "",
        "account_number": "",
    }
    payload.update(data)
    return submit(client, "/schedules/new", payload)


def test_customer_schedules_a_one_off_to_another_customer(app, client, alice, bob):
    login_as(client, app, alice.id)

    response = schedule_form(
        client, from_account=str(alice.account_id), account_number=bob.account_number
    )

    assert response.status_code == 302
    with app.app_context():
        schedule = db.session.scalar(select(ScheduledTransfer))
        assert (schedule.owner_id, schedule.to_account_id) == (alice.id, bob.account_id)
        assert (schedule.amount, schedule.next_run_on, schedule.status) == (
            1250,
            TOMORROW,
            "active",
        )
        db.session.remove()
    page = client.get("/schedules").get_data(as_text=True)
    assert "Allowance" in page and "$12.50" in page and "Once" in page
    assert audit_actions(app, "schedule.") == ["schedule.created"]


def test_customer_schedules_monthly_on_the_last_day_to_own_savings(app, client, alice):
    from tests.support.builders import add_account

    savings_id = add_account(app, alice.id)
    login_as(client, app, alice.id)

    response = schedule_form(
        client,
        from_account=str(alice.account_id),
        to_account=str(savings_id),
        frequency="monthly",
        day_of_month="31",
        end_on=(TOMORROW + timedelta(days=400)).isoformat(),
    )

    assert response.status_code == 302
    with app.app_context():
        schedule = db.session.scalar(select(ScheduledTransfer))
        assert schedule.day_of_month == 31
        assert schedule.next_run_on.month in (TOMORROW.month, (TOMORROW.month % 12) + 1)
        db.session.remove()
    assert "Every month on the last day" in client.get("/schedules").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"start_on": date.today().isoformat()}, "Choose a date after today"),
        ({"start_on": "not a date"}, "Not a valid date value."),
        ({"amount": "-5"}, "Enter the amount without a sign."),
        ({"amount": "1.005"}, "at most two decimal places"),
        ({"account_number": "123"}, "not a valid account number"),
        ({"account_number": "000000000000"}, "No account has that number."),
        ({"account_number": ""}, "Choose one of your accounts or enter an account number."),
        (
            {"frequency": "weekly", "end_on": date.today().isoformat()},
            "The end date must not be before the first payment.",
        ),
        ({"end_on": (TOMORROW + timedelta(days=9)).isoformat()}, "has no end date"),
        ({"frequency": "hourly"}, "Not a valid choice"),
        ({"day_of_month": "30", "frequency": "monthly"}, "Not a valid choice"),
        ({"memo": "x" * 141}, "Use at most 140 characters."),
        ({"amount": "1000000.00"}, "over your per-transfer limit"),
    ],
)
def test_bad_schedule_input_is_a_form_error(app, client, alice, bob, data, message):
    login_as(client, app, alice.id)
    payload = {"from_account": str(alice.account_id), "account_number": bob.account_number}
    payload.update(data)

    response = schedule_form(client, **payload)

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(ScheduledTransfer.id))) == 0
        db.session.remove()


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("closed", "The receiving account is closed."),
        ("frozen", "The receiving account is frozen and cannot receive money."),
    ],
)
def test_schedule_to_an_unusable_account_is_refused_in_the_ledgers_words(
    app, client, alice, status, message
):
    """The same words as the transfer pages and the ledger (it once said "That account is
    closed." here): the rule book decides what may be scheduled."""
    carol = make_customer(app, "Carol Cole")  # empty, so closing it keeps the books whole
    set_status(app, carol.account_id, status)
    login_as(client, app, alice.id)

    response = schedule_form(
        client, from_account=str(alice.account_id), account_number=carol.account_number
    )

    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(ScheduledTransfer.id))) == 0
        db.session.remove()


def test_cannot_schedule_from_another_customers_account(app, client, alice, bob):
    login_as(client, app, bob.id)
    response = schedule_form(
        client, from_account=str(alice.account_id), account_number=alice.account_number
    )
    assert response.status_code == 400
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_schedule_form_needs_a_csrf_token(app, client, alice, bob):
    login_as(client, app, alice.id)
    response = client.post(
        "/schedules/new",
        data={"from_account": str(alice.account_id), "account_number": bob.account_number},
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(ScheduledTransfer.id))) == 0
        db.session.remove()


def test_schedule_pages_require_sign_in(app, client):
    assert client.get("/schedules").status_code == 302
    assert client.get("/schedules/new").status_code == 302


# Pause, resume, cancel ---------------------------------------------------------------
def test_pause_resume_and_cancel(app, client, alice, bob):
    schedule_id = make_schedule(
        app, alice, bob.account_id, frequency="weekly", next_run_on=TOMORROW
    )
    login_as(client, app, alice.id)

    submit(client, f"/schedules/{schedule_id}/pause", form_url="/schedules")
    assert load(app, schedule_id).status == "paused"
    assert run(app, TOMORROW).posted == []

    submit(client, f"/schedules/{schedule_id}/resume", form_url="/schedules")
    assert load(app, schedule_id).status == "active"

    response = submit(
        client, f"/schedules/{schedule_id}/cancel", form_url="/schedules", follow_redirects=True
    )
    assert "Cancelled" in response.get_data(as_text=True)
    assert load(app, schedule_id).status == "cancelled"
    assert run(app, TOMORROW).posted == []
    assert audit_actions(app, "schedule.") == [
        "schedule.paused",
        "schedule.resumed",
        "schedule.cancelled",
    ]


def test_resume_skips_occurrences_missed_while_paused(app, client, alice, bob):
    schedule_id = make_schedule(
        app,
        alice,
        bob.account_id,
        frequency="weekly",
        next_run_on=date.today() - timedelta(days=10),
        status="paused",
    )
    login_as(client, app, alice.id)

    submit(client, f"/schedules/{schedule_id}/resume", form_url="/schedules")

    assert load(app, schedule_id).next_run_on == date.today() + timedelta(days=4)


def test_another_customers_schedule_is_not_found(app, client, alice, bob):
    schedule_id = make_schedule(app, alice, bob.account_id)
    login_as(client, app, bob.id)

    for action in ("pause", "resume", "cancel"):
        response = submit(client, f"/schedules/{schedule_id}/{action}", form_url="/schedules")
        assert response.status_code == 404
    assert load(app, schedule_id).status == "active"
    assert "You have no scheduled transfers." in client.get("/schedules").get_data(as_text=True)


def test_schedule_actions_need_a_csrf_token(app, client, alice, bob):
    schedule_id = make_schedule(app, alice, bob.account_id)
    login_as(client, app, alice.id)
    assert client.post(f"/schedules/{schedule_id}/cancel").status_code == 400
    assert load(app, schedule_id).status == "active"


def test_a_cancelled_schedule_cannot_be_resumed(app, client, alice, bob):
    schedule_id = make_schedule(app, alice, bob.account_id, status="cancelled")
    login_as(client, app, alice.id)
    response = submit(
        client, f"/schedules/{schedule_id}/resume", form_url="/schedules", follow_redirects=True
    )
    assert "can no longer be changed" in response.get_data(as_text=True)
    assert load(app, schedule_id).status == "cancelled"


# Running -----------------------------------------------------------------------------
def test_due_one_off_is_posted_once_even_when_run_twice(app, alice, bob):
    schedule_id = make_schedule(app, alice, bob.account_id, amount=2500)

    first = run(app, date(2026, 6, 1))
    second = run(app, date(2026, 6, 1))

    assert first.posted == [(schedule_id, date(2026, 6, 1))]
    assert second.posted == []
    assert balance_of(app, bob.account_id) == 2500
    assert scheduled_postings(app) == [f"{alice.id}:schedule:{schedule_id}:2026-06-01"]
    schedule = load(app, schedule_id)
    assert (schedule.status, schedule.runs, schedule.next_run_on) == ("completed", 1, None)
    assert "schedule.executed" in audit_actions(app, "schedule.")


def test_not_yet_due_is_left_alone(app, alice, bob):
    make_schedule(app, alice, bob.account_id, next_run_on=date(2026, 6, 2))
    assert run(app, date(2026, 6, 1)).posted == []
    assert balance_of(app, bob.account_id) == 0


def test_weekly_catches_up_each_missed_occurrence_once(app, alice, bob):
    schedule_id = make_schedule(
        app,
        alice,
        bob.account_id,
        amount=100,
        frequency="weekly",
        next_run_on=date(2026, 6, 1),
        end_on=date(2026, 6, 30),
    )

    run(app, date(2026, 6, 15))
    run(app, date(2026, 6, 15))

    assert scheduled_postings(app) == [
        f"{alice.id}:schedule:{schedule_id}:2026-06-{day:02d}" for day in (1, 8, 15)
    ]
    assert load(app, schedule_id).next_run_on == date(2026, 6, 22)


def test_insufficient_funds_fails_the_schedule_and_the_customer_sees_why(app, client, alice, bob):
    schedule_id = make_schedule(app, alice, bob.account_id, amount=50000, frequency="weekly")

    report = run(app, date(2026, 6, 1))
    again = run(app, date(2026, 6, 1))

    assert report.failed == [(schedule_id, date(2026, 6, 1), ledger.InsufficientFunds.message)]
    assert again.failed == []  # never retried on its own
    schedule = load(app, schedule_id)
    assert (schedule.status, schedule.last_error) == ("failed", ledger.InsufficientFunds.message)
    assert balance_of(app, alice.account_id) == 10000
    login_as(client, app, alice.id)
    page = client.get("/schedules").get_data(as_text=True)
    assert "Failed" in page and "There is not enough money available" in page
    assert audit_actions(app, "schedule.") == ["schedule.failed"]


def test_frozen_destination_fails_the_schedule(app, alice, bob):
    from banking.core.models import Account

    with app.app_context():
        db.session.get(Account, bob.account_id).status = "frozen"
        db.session.commit()
        db.session.remove()
    schedule_id = make_schedule(app, alice, bob.account_id)

    run(app, date(2026, 6, 1))

    schedule = load(app, schedule_id)
    assert schedule.status == "failed"
    assert "frozen" in schedule.last_error


def test_limit_breach_fails_the_schedule(app, alice, bob):
    schedule_id = make_schedule(app, alice, bob.account_id, amount=5000)

    run(app, date(2026, 6, 1), limits=ledger.Limits(per_transfer=1000))

    assert load(app, schedule_id).last_error == (
        "That amount is over your per-transfer limit of $10.00."
    )


def test_failed_schedule_resumed_by_the_customer_runs_again(app, client, alice, bob):
    today = date.today()
    schedule_id = make_schedule(app, alice, bob.account_id, amount=50000, next_run_on=today)
    run(app, today)
    assert load(app, schedule_id).status == "failed"
    from tests.support.builders import fund

    fund(app, alice.account_id, "500.00")
    login_as(client, app, alice.id)

    submit(client, f"/schedules/{schedule_id}/resume", form_url="/schedules")
    report = run(app, today)

    assert report.posted == [(schedule_id, today)]
    assert load(app, schedule_id).status == "completed"


def test_a_failed_schedule_is_listed_as_needing_attention_not_as_upcoming(
    app, client, alice, bob
):
    today = date.today()
    failing = make_schedule(app, alice, bob.account_id, amount=50000, next_run_on=today)
    make_schedule(app, alice, bob.account_id, amount=100, next_run_on=today + timedelta(days=9))
    run(app, today)
    assert load(app, failing).status == "failed"
    login_as(client, app, alice.id)

    page = client.get("/schedules").get_data(as_text=True)

    attention = page[page.index("Needs your attention") : page.index(">Upcoming<")]
    upcoming = page[page.index(">Upcoming<") :]
    assert f"/schedules/{failing}/resume" in attention
    assert "$500.00" in attention and "$500.00" not in upcoming
    assert "$1.00" in upcoming


def test_one_failure_does_not_stop_the_others(app, alice, bob):
    carol = make_customer(app, "Carol Cash", balance="20.00")
    failing = make_schedule(app, alice, bob.account_id, amount=99999)
    working = make_schedule(app, carol, bob.account_id, amount=1500)

    report = run(app, date(2026, 6, 1))

    assert [f[0] for f in report.failed] == [failing]
    assert report.posted == [(working, date(2026, 6, 1))]


def test_cli_run_due_posts_what_is_due(app, runner, alice, bob):
    make_schedule(app, alice, bob.account_id, amount=700, next_run_on=date(2026, 6, 1))

    result = runner.invoke(args=["transfers", "run-due", "--date", "2026-06-01"])

    assert result.exit_code == 0, result.output
    assert "1 posted, 0 failed" in result.output
    assert balance_of(app, bob.account_id) == 700
    again = runner.invoke(args=["transfers", "run-due", "--date", "2026-06-01"])
    assert "0 posted, 0 failed" in again.output


def test_cli_run_due_reports_failures(app, runner, alice, bob):
    schedule_id = make_schedule(app, alice, bob.account_id, amount=99999)
    result = runner.invoke(args=["transfers", "run-due", "--date", "2026-06-01"])
    assert result.exit_code == 0
    assert f"schedule {schedule_id} (2026-06-01) failed" in result.output


def test_cli_run_due_rejects_a_bad_date(app, runner):
    result = runner.invoke(args=["transfers", "run-due", "--date", "June"])
    assert result.exit_code != 0
    assert "Traceback" not in result.output


def test_two_hosts_running_at_once_post_each_occurrence_once(app, requires_postgres):
    owners = [make_customer(app, f"Owner{n} Test", balance="100.00") for n in range(6)]
    bob = make_customer(app, "Bob Baker")
    ids = [make_schedule(app, owner, bob.account_id, amount=100) for owner in owners]
    ids += [
        make_schedule(
            app,
            owners[0],
            bob.account_id,
            amount=100,
            frequency="weekly",
            next_run_on=date(2026, 5, 18),
        )
    ]
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def host() -> None:
        try:
            with app.app_context():
                barrier.wait()
                reports.append(run_due(db.session, date(2026, 6, 1)))
                db.session.remove()
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=host) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    posted = [item for report in reports for item in report.posted]
    assert len(posted) == len(set(posted)) == 6 + 3  # weekly: May 18, May 25, June 1
    assert len(scheduled_postings(app)) == 9
    assert balance_of(app, bob.account_id) == 900


# Locked owners, frozen accounts, closed destinations ---------------------------------------
def close(client, account_id: int):
    """Press Close on the account's settings page (and follow to the page that answers)."""
    return submit(
        client,
        f"/accounts/{account_id}/close",
        form_url=f"/accounts/{account_id}/settings",
        follow_redirects=True,
    )


def test_a_locked_customers_schedules_do_not_run_and_the_reason_is_recorded(
    app, client, runner, alice, bob
):
    schedule_id = make_schedule(app, alice, bob.account_id, frequency="weekly")
    assert runner.invoke(args=["users", "lock", alice.email, "--reason", "fraud"]).exit_code == 0

    report = run(app, date(2026, 6, 1))

    message = "Your sign-in is locked, so scheduled transfers are not made. Contact us."
    assert report.posted == []
    assert report.failed == [(schedule_id, date(2026, 6, 1), message)]
    assert balance_of(app, alice.account_id) == 10000
    assert balance_of(app, bob.account_id) == 0
    assert (load(app, schedule_id).status, load(app, schedule_id).last_error) == ("failed", message)
    assert audit_actions(app, "schedule.") == ["schedule.failed"]
    # Unlocked, the owner sees why it stopped and can resume it.
    assert runner.invoke(args=["users", "unlock", alice.email, "--reason", "ok"]).exit_code == 0
    login_as(client, app, alice.id)
    assert message in client.get("/schedules").get_data(as_text=True)


def test_a_frozen_source_accounts_schedules_do_not_run(app, client, alice, bob):
    schedule_id = make_schedule(app, alice, bob.account_id)
    with app.app_context():
        db.session.get(Account, alice.account_id).status = "frozen"
        db.session.commit()
        db.session.remove()

    report = run(app, date(2026, 6, 1))

    assert report.posted == []
    schedule = load(app, schedule_id)
    assert schedule.status == "failed"
    assert schedule.last_error == "The sending account is frozen and cannot send money."
    assert balance_of(app, bob.account_id) == 0
    login_as(client, app, alice.id)
    assert "cannot send money" in client.get("/schedules").get_data(as_text=True)


def test_someone_elses_schedule_to_my_account_does_not_stop_me_closing_it(app, client, alice, bob):
    """Bob's Scheduled page is empty: a schedule Alice made *to* his account is hers."""
    schedule_id = make_schedule(app, alice, bob.account_id)
    login_as(client, app, bob.id)
    assert "You have no scheduled transfers." in client.get("/schedules").get_data(as_text=True)

    close(client, bob.account_id)

    assert detached(app, Account, bob.account_id).status == "closed"
    # Alice's schedule fails at its next run; she sees why, and nothing moved.
    report = run(app, date(2026, 6, 1))
    assert report.failed == [(schedule_id, date(2026, 6, 1), "The receiving account is closed.")]
    assert balance_of(app, alice.account_id) == 10000
    login_as(client, app, alice.id)
    assert "The receiving account is closed." in client.get("/schedules").get_data(as_text=True)


def test_my_own_schedule_from_the_account_still_blocks_closing_it(app, client, alice, bob):
    from tests.support.builders import add_account

    savings = add_account(app, alice.id)  # empty: only the schedule stands in the way
    with app.app_context():
        schedule = ScheduledTransfer(
            owner_id=alice.id,
            from_account_id=savings,
            to_account_id=bob.account_id,
            amount=1000,
            frequency="once",
            next_run_on=date(2026, 6, 1),
        )
        db.session.add(schedule)
        db.session.commit()
        db.session.remove()
    login_as(client, app, alice.id)

    response = close(client, savings)

    assert "This account has scheduled transfers; cancel them before closing it." in (
        response.get_data(as_text=True)
    )
    assert detached(app, Account, savings).status == "active"
