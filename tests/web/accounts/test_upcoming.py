"""Issue 17, item 3: "Coming up" on the dashboard — the next 30 days of the customer's scheduled
transfers, each account's projected month-end balance, and a scheduled payment that would
overdraw its account flagged now, in words. Through the HTTP layer; the walk itself is
tested without an app in tests/core/test_projection.py."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from banking.caching import user_key
from banking.core.models import Entry, JournalTransaction, ScheduledTransfer, User
from banking.core.periods import local_today
from banking.core.projection import month_end
from banking.extensions import cache, db
from banking.services.dashboard import build_summary
from tests.support.builders import add_account, make_customer, set_status
from tests.support.cache_states import CACHE_STATES, point_cache_at
from tests.support.forms import submit
from tests.support.page_cache import outdate_cached_pages
from tests.support.sessions import login_as


@pytest.fixture
def jane_balance() -> str:
    return "500.00"


def today(app) -> date:
    return local_today(app.config["DISPLAY_TIMEZONE"])


def in_days(app, days: int) -> date:
    """A date `days` ahead, kept inside this month when the month allows it (so the
    month-end projection counts it whatever day the suite runs on)."""
    return min(today(app) + timedelta(days=days), month_end(today(app)))


def day_text(app, value: date) -> str:
    """The date as the pages write it (the `day` filter: "Nov 25, 2026")."""
    with app.app_context():
        return app.jinja_env.filters["day"](value)


def schedule(app, owner_id: int, from_id: int, to_id: int, amount: int, **fields) -> int:
    fields.setdefault("frequency", "once")
    fields.setdefault("memo", "Rent")
    with app.app_context():
        row = ScheduledTransfer(
            owner_id=owner_id,
            from_account_id=from_id,
            to_account_id=to_id,
            amount=amount,
            next_run_on=fields.pop("next_run_on", None) or in_days(app, 1),
            **fields,
        )
        db.session.add(row)
        db.session.commit()
        schedule_id = row.id
        db.session.remove()
    return schedule_id


def dashboard(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def text_of(html: str) -> str:
    """The page's words with tags dropped and spaces collapsed (what a reader hears)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def ledger_rows(app) -> tuple[int, int]:
    with app.app_context():
        counts = (
            db.session.scalar(select(func.count()).select_from(JournalTransaction)),
            db.session.scalar(select(func.count()).select_from(Entry)),
        )
        db.session.remove()
    return counts


@pytest.fixture
def landlord(app):
    return make_customer(app, "Larry Landlord")


def test_a_rent_larger_than_the_balance_is_flagged_in_words(app, client, jane, landlord):
    rent_day = in_days(app, 3)
    before = ledger_rows(app)
    schedule(app, jane.id, jane.account_id, landlord.account_id, 620_00, next_run_on=rent_day)

    html = dashboard(client)

    words = text_of(html)
    assert (
        f"Rent on {day_text(app, rent_day)} would take Everyday checking $120.00 below zero."
        in words
    )
    assert "It has no overdraft, so the payment will not be sent unless you add money" in words
    assert 'role="alert"' in html and 'data-testid="overdraft-warning"' in html
    # Near the top: before the accounts.
    assert html.index("overdraft-warning") < html.index('id="accounts-heading"')
    # Listed as coming up, marked; the ledger is untouched by looking.
    assert "Won&#39;t be sent" in html or "Won't be sent" in html
    assert ledger_rows(app) == before


def test_a_payment_within_the_balance_is_coming_up_without_a_warning(app, client, jane, landlord):
    rent_day = in_days(app, 2)
    sid = schedule(app, jane.id, jane.account_id, landlord.account_id, 120_00, next_run_on=rent_day)

    html = dashboard(client)

    assert 'data-testid="overdraft-warnings"' not in html
    row = re.search(rf'data-testid="upcoming-{sid}">(.*?)</tr>', html, re.S).group(1)
    assert "Rent" in row and "Everyday checking" in row and "$120.00" in row
    assert f'datetime="{rent_day.isoformat()}"' in row
    # Expected at the month's end: what is available once the rent has gone.
    assert f'data-testid="projected-{jane.account_id}" class="">$380.00<' in html
    assert f"Expected on {day_text(app, month_end(today(app)))}" in text_of(html)


def test_within_the_overdraft_limit_it_says_it_will_be_sent_overdrawn(app, client, jane, landlord):
    with app.app_context():
        from banking.core.models import Account

        db.session.get(Account, jane.account_id).overdraft_limit = 500_00
        db.session.commit()
    schedule(app, jane.id, jane.account_id, landlord.account_id, 620_00)

    words = text_of(dashboard(client))

    assert "would take Everyday checking $120.00 below zero." in words
    assert "That is within its $500.00 overdraft limit: it will be sent" in words


def test_beyond_the_overdraft_limit_it_says_it_will_not_be_sent(app, client, jane, landlord):
    with app.app_context():
        from banking.core.models import Account

        db.session.get(Account, jane.account_id).overdraft_limit = 100_00
        db.session.commit()
    schedule(app, jane.id, jane.account_id, landlord.account_id, 700_00)

    words = text_of(dashboard(client))

    assert "would take Everyday checking $200.00 below zero." in words
    assert "That is beyond its $100.00 overdraft limit, so it will not be sent" in words


def test_a_transfer_to_savings_raises_the_savings_projection(app, client, jane):
    savings = add_account(app, jane.id, nickname="Rainy day")
    schedule(app, jane.id, jane.account_id, savings, 75_00, memo="")

    html = dashboard(client)

    assert f'data-testid="projected-{jane.account_id}" class="">$425.00<' in html
    assert f'data-testid="projected-{savings}" class="">$75.00<' in html
    assert "Your Rainy day" in html  # no memo: titled by where it goes


@pytest.mark.parametrize("status", ["paused", "failed", "cancelled", "completed"])
def test_schedules_that_will_not_run_are_not_coming_up(app, client, jane, landlord, status):
    schedule(app, jane.id, jane.account_id, landlord.account_id, 900_00, status=status)

    html = dashboard(client)

    assert 'data-testid="overdraft-warnings"' not in html
    assert "No scheduled transfers in the next 30 days." in html
    assert f'data-testid="projected-{jane.account_id}" class="">$500.00<' in html


def test_weekly_payments_are_listed_each_time_in_the_window(app, client, jane, landlord):
    sid = schedule(
        app, jane.id, jane.account_id, landlord.account_id, 10_00,
        frequency="weekly", next_run_on=today(app) + timedelta(days=1), memo="Cleaner",
    )  # fmt: skip

    html = dashboard(client)

    # Days 1, 8, 15, 22 and 29: five runs within the next 30 days.
    assert html.count(f'data-testid="upcoming-{sid}"') == 5


def test_payments_beyond_thirty_days_are_not_listed(app, client, jane, landlord):
    schedule(
        app, jane.id, jane.account_id, landlord.account_id, 10_00,
        next_run_on=today(app) + timedelta(days=31), memo="Far away",
    )  # fmt: skip
    assert "Far away" not in dashboard(client)


def test_another_customers_schedules_are_never_on_the_dashboard(app, client, jane, landlord):
    schedule(app, landlord.id, landlord.account_id, jane.account_id, 900_00, memo="Refund")
    html = dashboard(client)
    assert "Refund" not in html
    assert f'data-testid="projected-{jane.account_id}" class="">$500.00<' in html


def test_a_frozen_account_projects_nothing_and_warns_of_nothing(app, client, jane, landlord):
    schedule(app, jane.id, jane.account_id, landlord.account_id, 900_00)
    set_status(app, jane.account_id, "frozen", "Checking a card")
    html = dashboard(client)
    assert 'data-testid="overdraft-warnings"' not in html


def test_a_locked_owners_schedules_are_not_projected(app, jane, landlord):
    """A locked customer cannot sign in; the summary is built for an admin's or a stale
    view all the same, and their schedules do not run (scheduling.OwnerLocked)."""
    schedule(app, jane.id, jane.account_id, landlord.account_id, 900_00)
    with app.app_context():
        db.session.get(User, jane.id).is_locked = True
        db.session.commit()
        with app.test_request_context("/"):
            projection = build_summary(jane.id)["projection"]
        db.session.remove()
    assert projection["upcoming"] == [] and projection["warnings"] == []


# The cache ------------------------------------------------------------------------------
@pytest.fixture(params=CACHE_STATES)
def cache_state(request, app):
    yield from point_cache_at(request, app, "banking-upcoming-test:")


def schedule_form(client, landlord, **data):
    payload = {
        "from_account": "",
        "to_account": "",
        "account_number": landlord.account_number,
        "amount": "620.00",
        "memo": "Rent",
        "frequency": "once",
        "start_on": "",
        "day_of_month": "",
        "end_on": "",
    }
    payload.update(data)
    return submit(client, "/schedules/new", payload)


def test_a_new_schedule_is_on_the_next_dashboard_and_gone_when_paused(
    app, client, jane, landlord, cache_state
):
    before = dashboard(client)
    assert "No scheduled transfers in the next 30 days." in before
    dashboard(client)  # served from the cache from here on (when there is one)
    rent_day = today(app) + timedelta(days=2)

    response = schedule_form(
        client, landlord, from_account=str(jane.account_id), start_on=rent_day.isoformat()
    )
    assert response.status_code == 302, response.get_data(as_text=True)

    words = text_of(dashboard(client))  # a flashed message skips the cache: read it twice
    words = text_of(dashboard(client))
    assert f"Rent on {day_text(app, rent_day)} would take Everyday checking" in words
    with app.app_context():
        sid = db.session.scalar(
            select(ScheduledTransfer.id).where(ScheduledTransfer.owner_id == jane.id)
        )
        db.session.remove()

    assert submit(client, f"/schedules/{sid}/pause", {}, form_url="/schedules").status_code == 302
    dashboard(client)
    html = dashboard(client)
    assert 'data-testid="overdraft-warnings"' not in html
    assert "No scheduled transfers in the next 30 days." in html


def test_a_summary_projected_yesterday_is_not_shown_today(
    app, client, jane, landlord, cache_state
):
    """The summary entry is not keyed by day (its invalidation needs a fixed key): one
    cached just before midnight must not list yesterday's "coming up" as due."""
    if cache_state == "redis-down":
        pytest.skip("nothing is cached")
    schedule(app, jane.id, jane.account_id, landlord.account_id, 120_00)
    dashboard(client)
    with app.app_context():
        key = user_key("dashboard", jane.id)
        entry = cache.get(key)
        assert entry is not None
        entry["projection"]["day"] = "2000-01-01"
        entry["body_html"] = "<p>Projected long ago</p>"
        cache.set(key, entry)
    outdate_cached_pages(app, jane.id)  # the whole page, not the summary

    html = dashboard(client)

    assert "Projected long ago" not in html
    assert "Rent" in html


def test_the_dashboard_owner_only_sees_their_own_cached_projection(app, client, jane, landlord):
    schedule(app, jane.id, jane.account_id, landlord.account_id, 620_00)
    assert "below zero" in dashboard(client)
    other = app.test_client()
    login_as(other, app, landlord.id)
    assert "below zero" not in dashboard(other)


def test_the_scheduled_page_flags_the_schedule_that_would_overdraw(app, client, jane, landlord):
    rent_day = in_days(app, 3)
    rent = schedule(
        app, jane.id, jane.account_id, landlord.account_id, 620_00, next_run_on=rent_day
    )
    fine = schedule(
        app, jane.id, jane.account_id, landlord.account_id, 10_00,
        memo="Phone", next_run_on=in_days(app, 5),
    )  # fmt: skip

    response = client.get("/schedules")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    warning = re.search(rf'data-testid="schedule-warning-{rent}">(.*?)</p>', html, re.S).group(1)
    assert f"On {day_text(app, rent_day)} it would take Everyday checking $120.00 below zero." in (
        text_of(warning)
    )
    assert f'data-testid="schedule-warning-{fine}"' not in html
