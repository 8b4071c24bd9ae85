"""`flask seed-demo`: believable, deterministic demo data posted through the ledger."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from banking.core.integrity import verify_ledger
from banking.core.models import (
    Account,
    Entry,
    Hold,
    JournalTransaction,
    Payee,
    ScheduledTransfer,
    User,
)
from banking.core.models.base import as_utc, utcnow
from banking.extensions import db
from banking.services import auth as auth_services
from banking.services import demo
from banking.services.passwords import hash_password, password_problems
from tests.support.builders import login, make_customer
from tests.support.database import reset_database

# --no-statements: rendering PDFs costs ~0.4 s each; tests/services/test_statement_archive.py
# checks the demo's statements.
SMALL = ["seed-demo", "--customers", "4", "--months", "2", "--no-statements"]
DEMO_HASH = hash_password(demo.DEMO_PASSWORD)


@pytest.fixture(autouse=True)
def hash_the_demo_password_once(request, monkeypatch):
    """argon2 is deliberately slow; reuse one real hash so the suite stays quick (sign-in
    still verifies it). The timing test keeps the real per-user hashing."""
    if request.node.name == "test_defaults_finish_quickly":
        return
    monkeypatch.setattr(
        auth_services,
        "hash_password",
        lambda password: DEMO_HASH if password == demo.DEMO_PASSWORD else hash_password(password),
    )


def snapshot(app):
    """What a seed produced, minus ids and account numbers (which may differ run to run)."""
    with app.app_context():
        users = db.session.execute(
            select(User.full_name, User.email, User.role).order_by(User.id)
        ).all()
        movements = db.session.execute(
            select(
                JournalTransaction.kind, JournalTransaction.memo, JournalTransaction.amount
            ).order_by(JournalTransaction.created_at, JournalTransaction.id)
        ).all()
        schedules = db.session.execute(
            select(ScheduledTransfer.amount, ScheduledTransfer.day_of_month).order_by(
                ScheduledTransfer.id
            )
        ).all()
        return users, movements, schedules


def test_seed_creates_customers_admin_and_history(app, runner):
    result = runner.invoke(args=SMALL)
    assert result.exit_code == 0, result.output
    with app.app_context():
        roles = dict(
            db.session.execute(select(User.role, func.count(User.id)).group_by(User.role)).all()
        )
        assert roles == {"customer": 4, "admin": 1}
        kinds = dict(
            db.session.execute(
                select(Account.kind, func.count(Account.id)).group_by(Account.kind)
            ).all()
        )
        assert kinds["checking"] == 4
        assert kinds.get("savings", 0) >= 1
        memos = db.session.scalars(select(JournalTransaction.memo)).all()
        assert any(memo.startswith("Salary — ") for memo in memos)
        assert any(memo.startswith("Rent — ") for memo in memos)
        assert any(memo.startswith("Card purchase — ") for memo in memos)
        assert "Monthly savings" in memos
        assert db.session.scalar(select(func.count(Payee.id))) >= 1


def test_seed_prints_the_demo_sign_ins(runner):
    result = runner.invoke(args=SMALL)
    assert f"Demo password for every account below: {demo.DEMO_PASSWORD}" in result.output
    assert "admin@example.com" in result.output
    for email in ("alice@example.com", "bob@example.com", "carol@example.com", "david@example.com"):
        assert email in result.output


def test_demo_password_satisfies_the_password_rules():
    assert password_problems(demo.DEMO_PASSWORD, "alice@example.com") == []
    assert password_problems(demo.DEMO_PASSWORD, demo.ADMIN_EMAIL) == []


def test_demo_customer_can_sign_in(app, runner, client):
    runner.invoke(args=SMALL)
    response = login(client, "alice@example.com", demo.DEMO_PASSWORD)
    assert response.status_code == 302
    assert "/auth/login" not in response.headers["Location"]


def test_the_demo_customer_has_unread_notifications_on_the_first_sign_in(app, runner, client):
    """Issue 17, item 8: the header shows a count, the inbox the money others sent."""
    import re

    runner.invoke(args=SMALL)
    login(client, "alice@example.com", demo.DEMO_PASSWORD)

    html = client.get("/").get_data(as_text=True)
    unread = re.search(r'data-testid="unread-count"[^>]*>(\d+)<', html)
    assert unread and int(unread.group(1)) >= 1
    inbox = client.get("/notifications").get_data(as_text=True)
    assert inbox.count('data-testid="notification"') >= 2
    assert "is-unread" in inbox


def test_the_demo_customer_sees_a_savings_goal_on_the_dashboard(app, runner, client):
    """`make run` shows issue 17's savings goal on the first sign-in's dashboard."""
    runner.invoke(args=SMALL)
    login(client, "alice@example.com", demo.DEMO_PASSWORD)

    html = client.get("/").get_data(as_text=True)

    assert html.count("<progress") == 1
    assert "a month to reach it." in html


def test_the_demo_customer_sees_an_upcoming_payment_and_one_overdraft_warning(
    app, runner, client
):
    """Issue 17, items 3 and 8: `make run` shows "Coming up" and a warning in words."""
    runner.invoke(args=SMALL)
    login(client, "alice@example.com", demo.DEMO_PASSWORD)

    html = client.get("/").get_data(as_text=True)

    assert html.count('data-testid="overdraft-warning"') == 1
    assert re.search(
        r"Used car — \w+ on [A-Z][a-z]{2} \d{1,2}, \d{4} would take Everyday checking "
        r"\$120\.00 below zero\.",
        html,
    ), html
    assert 'data-testid="upcoming-' in html


def test_the_demo_customer_has_a_failed_schedule_on_the_scheduled_page(app, runner, client):
    runner.invoke(args=SMALL)
    login(client, "alice@example.com", demo.DEMO_PASSWORD)

    html = client.get("/schedules").get_data(as_text=True)

    assert '<span class="badge badge-failed">Failed</span>' in html
    assert "failed: There is not enough money available in that account." in html
    assert "Concert tickets — " in html


def test_the_demo_customer_has_categories_and_her_own_rule(app, runner, client):
    """Issue 17: the demo's merchants land in sensible categories, and alice@ keeps books
    under Entertainment (her rule), which the categories page and insights show."""
    runner.invoke(args=SMALL)
    login(client, "alice@example.com", demo.DEMO_PASSWORD)

    rules = client.get("/categories").get_data(as_text=True)
    insights = client.get("/insights").get_data(as_text=True)
    previous = client.get("/insights?month=" + _previous_month()).get_data(as_text=True)

    assert "Bookworm Books" in rules and "Always under" in rules
    shown = set(re.findall(r'<tr data-category="([a-z]+)"', insights + previous))
    # Card purchases at random merchants: rent every month, and several kinds of spending.
    assert "rent" in shown and len(shown - {"rent", "transfers", "other"}) >= 3, shown


def _previous_month() -> str:
    first = utcnow().date().replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def test_seeded_ledger_passes_verification(app, runner):
    seeded = runner.invoke(args=SMALL)
    assert seeded.exit_code == 0, seeded.output

    # The operator's own check, as cron or CI runs it: exit 0 means every invariant holds.
    verified = runner.invoke(args=["ledger", "verify", "--deep"])
    assert verified.exit_code == 0, verified.output
    assert "OK: every invariant holds." in verified.output
    with app.app_context():
        report = verify_ledger(db.session, deep=True)
        assert report.ok, report.format()
        assert db.session.scalar(select(func.sum(Entry.amount))) == 0
        for account in db.session.scalars(select(Account)):
            entries = db.session.scalar(
                select(func.coalesce(func.sum(Entry.amount), 0)).where(
                    Entry.account_id == account.id
                )
            )
            assert account.balance == entries, account


def test_history_is_spread_over_the_past_months(app, runner):
    runner.invoke(args=SMALL)
    now = utcnow()
    with app.app_context():
        oldest, newest = db.session.execute(
            select(func.min(Entry.created_at), func.max(Entry.created_at))
        ).one()
    assert now - timedelta(days=61) <= as_utc(oldest) < now - timedelta(days=50)
    assert as_utc(newest) <= now


def test_one_large_transfer_awaits_review(app, runner):
    result = runner.invoke(args=SMALL)
    assert "(1 awaiting review)" in result.output
    with app.app_context():
        pending = db.session.scalars(
            select(JournalTransaction).where(JournalTransaction.status == "pending")
        ).all()
        assert len(pending) == 1
        assert pending[0].amount > app.config["REVIEW_THRESHOLD_CENTS"]
        hold = db.session.scalar(select(Hold).where(Hold.transaction_id == pending[0].id))
        assert hold.active
        assert as_utc(hold.expires_at) > utcnow()


STORY_MEMOS = ("Used car — ", "Concert tickets — ")  # the first customer's (issue 17, item 3)


def test_scheduled_transfers_are_active_and_monthly(app, runner):
    runner.invoke(args=SMALL)
    today = utcnow().date()
    with app.app_context():
        schedules = [
            s
            for s in db.session.scalars(select(ScheduledTransfer)).all()
            if not s.memo.startswith(STORY_MEMOS)
        ]
        assert schedules
        for schedule in schedules:
            assert schedule.status == "active"
            assert schedule.frequency == "monthly"
            assert schedule.next_run_on > today
            assert schedule.next_run_on.day == schedule.day_of_month
            assert schedule.from_account.owner_id == schedule.owner_id


def test_same_seed_gives_the_same_customers_and_amounts(app, runner):
    runner.invoke(args=[*SMALL, "--seed", "7"])
    first = snapshot(app)
    reset_database(app)
    runner.invoke(args=[*SMALL, "--seed", "7"])
    assert snapshot(app) == first


def test_another_seed_gives_other_amounts(app, runner):
    runner.invoke(args=[*SMALL, "--seed", "7"])
    _, first, _ = snapshot(app)
    reset_database(app)
    runner.invoke(args=[*SMALL, "--seed", "8"])
    _, second, _ = snapshot(app)
    assert first != second


def test_plan_is_a_pure_function_of_the_seed():
    now = utcnow()
    kwargs = {"customers": 5, "months": 3, "now": now, "review_threshold": 500_000}
    assert demo.build_plan(seed=1, **kwargs) == demo.build_plan(seed=1, **kwargs)


def test_defaults_seed_twelve_customers(app, runner):
    # How fast seeding is belongs to the benchmarks, not to an assertion here.
    result = runner.invoke(args=["seed-demo", "--no-statements"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.role == "customer")) == 12


def test_seed_refuses_production(app, runner):
    app.config["ENV_NAME"] = "production"
    result = runner.invoke(args=SMALL)
    assert result.exit_code == 1
    assert "refuses to run in production" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_seed_refuses_staging(app, runner):
    app.config["ENV_NAME"] = "staging"
    result = runner.invoke(args=SMALL)
    assert result.exit_code == 1
    assert "refuses to run in staging" in result.output


def test_seed_does_nothing_when_customers_exist(app, runner):
    make_customer(app, "Real Person", "real@example.com")
    result = runner.invoke(args=SMALL)
    assert result.exit_code == 0
    assert "1 customer(s) already exist; nothing done" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1


def test_force_adds_demo_data_next_to_existing_customers(app, runner):
    runner.invoke(args=SMALL)
    result = runner.invoke(args=[*SMALL, "--force"])
    assert result.exit_code == 0, result.output
    assert "alice.2@example.com" in result.output
    assert "already existed; password unchanged" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.role == "customer")) == 8
        assert verify_ledger(db.session).ok


def test_help_explains_every_option(runner):
    result = runner.invoke(args=["seed-demo", "--help"])
    assert result.exit_code == 0
    for option in ("--customers", "--months", "--seed", "--force"):
        assert option in result.output
    assert "same seed gives the same customers" in result.output
