"""Savings accounts through HTTP: the rate and this year's interest, and a goal set,
changed and removed from the account's settings page and shown on the dashboard."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from banking.core import ledger
from banking.core.clock import FixedClock
from banking.core.models import AuditEvent, SavingsGoal
from banking.extensions import db
from tests.support.builders import add_account, fund, make_customer, set_status
from tests.support.cache_states import CACHE_STATES, point_cache_at
from tests.support.database import as_database
from tests.support.forms import submit


@pytest.fixture
def savings(app, jane) -> int:
    """Jane's savings account with $1,200.00 in it."""
    account_id = add_account(app, jane.id, kind="savings", nickname="Rainy day")
    fund(app, account_id, "1200.00")
    return account_id


def set_goal(client, account_id: int, target: str, target_date: str = ""):
    return submit(
        client,
        f"/accounts/{account_id}/goal",
        {"target": target, "target_date": target_date},
        form_url=f"/accounts/{account_id}/settings",
    )


def remove_goal(client, account_id: int):
    return submit(
        client, f"/accounts/{account_id}/goal/remove", form_url=f"/accounts/{account_id}/settings"
    )


def goals(app) -> list[tuple[int, int, date | None]]:
    with app.app_context():
        rows = db.session.scalars(db.select(SavingsGoal).order_by(SavingsGoal.id)).all()
        return [(g.account_id, g.target_amount, g.target_date) for g in rows]


def pay_interest(app, account_id: int, amount: int, when: datetime) -> None:
    with as_database(app).session() as session:
        ledger.post_adjustment(
            session,
            account_id=account_id,
            amount=amount,
            initiator_id=None,
            key=f"interest:{account_id}:{uuid4()}",
            memo="Interest",
            kind="interest",
            system_code=ledger.INTEREST_EXPENSE,
            clock=FixedClock(when),
        )


def next_year() -> int:
    return datetime.now(UTC).year + 1


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def words(response) -> str:
    """What a reader sees: the page without its tags."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.get_data(as_text=True)))


def test_customer_sets_a_goal_and_sees_its_progress_on_the_dashboard(app, client, savings):
    year = next_year()
    response = set_goal(client, savings, "5,000.00", f"{year}-06-01")

    assert response.status_code == 303
    assert goals(app) == [(savings, 500_000, date(year, 6, 1))]
    page = text(client.get("/"))
    assert f"$1,200.00 of $5,000.00 · 24 % · by Jun 1, {year}" in page
    assert 'value="24"' in page and "<progress" in page
    assert re.search(r"Save \$[\d,]+\.\d\d a month to reach it\.", page)
    with app.app_context():
        assert db.session.scalar(
            db.select(AuditEvent.action).where(AuditEvent.action == "savings_goal.set")
        )


def test_a_goal_without_a_date_shows_progress_and_no_monthly_amount(app, client, savings):
    set_goal(client, savings, "2400")

    page = text(client.get("/"))
    assert "$1,200.00 of $2,400.00 · 50 %" in page
    assert "a month to reach it" not in page


def test_customer_changes_then_removes_the_goal(app, client, savings):
    set_goal(client, savings, "5000")
    assert "Change goal" in text(client.get(f"/accounts/{savings}/settings"))

    assert set_goal(client, savings, "1500").status_code == 303
    assert goals(app) == [(savings, 150_000, None)]
    assert "$1,200.00 of $1,500.00 · 80 %" in text(client.get("/"))

    assert remove_goal(client, savings).status_code == 303
    assert goals(app) == []
    page = text(client.get("/"))
    assert "<progress" not in page
    assert "Set a goal" in page


@pytest.mark.parametrize(
    ("target", "target_date", "message"),
    [
        ("", "", "Enter the amount you are saving towards."),
        ("0", "", "The amount must be more than zero."),
        ("-5", "", "Enter the amount without a sign."),
        ("1e3", "", "Enter a number like 25 or 25.50."),
        ("10.005", "", "Amounts can have at most two decimal places."),
        ("5000", "2020-01-01", "Choose a target date in the future."),
        ("5000", "not a date", "Not a valid date value."),
    ],
)
def test_bad_input_is_explained_and_changes_nothing(
    app, client, savings, target, target_date, message
):
    response = set_goal(client, savings, target, target_date)

    assert response.status_code == 400
    assert message in text(response)
    assert goals(app) == []


def test_a_goal_on_a_checking_account_is_refused(app, client, jane):
    response = set_goal(client, jane.account_id, "100")

    assert response.status_code == 400
    assert "Goals can be set on savings accounts only." in text(response)
    assert goals(app) == []


def test_a_goal_on_a_frozen_savings_account_is_refused(app, client, savings):
    set_status(app, savings, "frozen", "Checks")
    response = client.post(
        f"/accounts/{savings}/goal",
        data={"target": "100", "csrf_token": _token(client, "/accounts/open")},
    )

    assert response.status_code == 400
    assert "Goals can be set on active accounts only." in text(response)
    assert goals(app) == []


def _token(client, path: str) -> str:
    from tests.support.forms import csrf_from

    return csrf_from(client.get(path).get_data(as_text=True))


def test_another_customers_account_is_404_and_untouched(app, client, jane):
    other = make_customer(app, "Omar Other")
    theirs = add_account(app, other.id, kind="savings")
    token = _token(client, "/accounts/open")

    assert client.get(f"/accounts/{theirs}/settings").status_code == 404
    posted = client.post(f"/accounts/{theirs}/goal", data={"target": "100", "csrf_token": token})
    assert posted.status_code == 404
    removed = client.post(f"/accounts/{theirs}/goal/remove", data={"csrf_token": token})
    assert removed.status_code == 404
    assert goals(app) == []


def test_removing_another_customers_goal_is_404_and_keeps_it(app, client, jane):
    other = make_customer(app, "Omar Other")
    theirs = add_account(app, other.id, kind="savings")
    with app.app_context():
        db.session.add(SavingsGoal(account_id=theirs, owner_id=other.id, target_amount=100))
        db.session.commit()

    response = client.post(
        f"/accounts/{theirs}/goal/remove", data={"csrf_token": _token(client, "/accounts/open")}
    )

    assert response.status_code == 404
    assert goals(app) == [(theirs, 100, None)]


def test_a_goal_form_without_the_csrf_token_is_refused(app, client, savings):
    response = client.post(f"/accounts/{savings}/goal", data={"target": "100"})

    assert response.status_code == 400
    assert goals(app) == []


def test_savings_show_the_rate_and_only_this_years_interest(app, client, savings):
    now = datetime.now(UTC)
    pay_interest(app, savings, 150, datetime(now.year - 1, 12, 31, 12, tzinfo=UTC))
    pay_interest(app, savings, 175, datetime(now.year, 1, 1, 12, tzinfo=UTC))
    pay_interest(app, savings, 25, now)

    settings = words(client.get(f"/accounts/{savings}/settings"))
    assert "Interest rate 1.50 % a year" in settings
    assert f"Interest earned in {now.year} $2.00" in settings
    assert f"1.50 % a year · $2.00 interest earned in {now.year}" in words(client.get("/"))


def test_checking_accounts_show_no_savings_figures(app, client, jane):
    assert "interest earned" not in text(client.get("/"))
    assert "Interest rate" not in text(client.get(f"/accounts/{jane.account_id}/settings"))


@pytest.fixture(params=CACHE_STATES)
def cache_state(request, app):
    yield from point_cache_at(request, app, "banking-savings-test:")


def test_the_cached_dashboard_shows_a_goal_change_on_the_next_visit(
    app, client, savings, cache_state
):
    assert "<progress" not in text(client.get("/"))  # cached without a goal

    set_goal(client, savings, "5000")
    assert "$1,200.00 of $5,000.00 · 24 %" in text(client.get("/"))

    set_goal(client, savings, "2400")
    assert "$1,200.00 of $2,400.00 · 50 %" in text(client.get("/"))

    remove_goal(client, savings)
    assert "<progress" not in text(client.get("/"))
