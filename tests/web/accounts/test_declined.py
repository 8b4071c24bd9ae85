"""Declined transfers stay in history, and decisions on held transfers are announced.

A held transfer that is declined (by an admin, or by time) moved no money: it has no
entry. It used to vanish from history; now it stays there, "Declined — not sent" with
the reason, findable by the filters. The dashboard announces each decision (declined or
approved) until the customer dismisses it.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from banking.core import ledger
from banking.core.clock import SystemClock
from banking.core.models import Entry, User
from banking.core.models.base import utcnow
from banking.extensions import db
from banking.services.actor import Actor
from banking.services.admin import money as money_actions
from tests.support.builders import fund, make_admin, make_customer
from tests.support.forms import csrf_from
from tests.support.transfers import pay


@pytest.fixture
def jane_balance() -> str:
    return "1000.00"


def held(app, client, jane, john, amount: str = "200.00", memo: str = "Deposit for flat") -> int:
    app.config["REVIEW_THRESHOLD_CENTS"] = 10_000
    attempt = pay(client, jane.account_id, john.account_number, amount, memo=memo)
    assert attempt.transaction_id is not None
    return attempt.transaction_id


def decide(app, transaction_id: int, *, approve: bool, reason: str = "Checked") -> None:
    admin = make_admin(app, f"Admin {transaction_id}")
    decision = money_actions.approve if approve else money_actions.reject
    with app.app_context():
        decision(transaction_id, actor=Actor.web(admin.id), reason=reason)
        db.session.remove()


def entry_count(app) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count(Entry.id)))
        db.session.remove()
        return count


def history(client, account_id: int, **params) -> str:
    response = client.get(f"/accounts/{account_id}/history", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def declined_rows(html: str) -> list[str]:
    return re.findall(r'<tr class="declined">(.*?)</tr>', html, re.S)


def test_a_declined_transfer_stays_in_history_with_its_reason(app, client, jane):
    john = make_customer(app, "John Smith")
    before = entry_count(app)
    txn_id = held(app, client, jane, john)
    decide(app, txn_id, approve=False, reason="We could not verify the payee")

    html = history(client, jane.account_id)

    (row,) = declined_rows(html)
    assert "Declined — not sent" in row and "We could not verify the payee" in row
    assert "J*** S***" in row and "Deposit for flat" in row
    assert "−$200.00" not in row and "$200.00" in row  # not shown as money that went out
    assert "not in balance" in row
    assert entry_count(app) == before  # a decline writes no journal entry


def test_an_expired_transfer_says_it_was_not_reviewed_in_time(app, client, jane):
    john = make_customer(app, "John Smith")
    held(app, client, jane, john)
    with app.app_context():
        ledger.expire_holds(db.session, now=utcnow() + timedelta(days=30))
        db.session.remove()

    (row,) = declined_rows(history(client, jane.account_id))
    assert "not reviewed in time" in row


def test_declined_transfers_are_found_by_the_filters(app, client, jane):
    john = make_customer(app, "John Smith")
    decide(app, held(app, client, jane, john, memo="Car deposit"), approve=False)
    pay(client, jane.account_id, john.account_number, "5.00", memo="Coffee")

    only_declined = history(client, jane.account_id, direction="declined")
    assert len(declined_rows(only_declined)) == 1 and "Coffee" not in only_declined
    assert len(declined_rows(history(client, jane.account_id, q="car dep"))) == 1
    assert not declined_rows(history(client, jane.account_id, q="coffee"))
    # Searching for what the row says finds it too.
    assert len(declined_rows(history(client, jane.account_id, q="Declined"))) == 1
    assert len(declined_rows(history(client, jane.account_id, q="not sent"))) == 1
    assert not declined_rows(history(client, jane.account_id, direction="in"))
    assert len(declined_rows(history(client, jane.account_id, direction="out"))) == 1


def test_a_declined_transfer_shows_on_exactly_one_page(app, client, jane, monkeypatch):
    john = make_customer(app, "John Smith")
    start = utcnow()
    times = iter(start + timedelta(minutes=i) for i in range(1000))
    monkeypatch.setattr(SystemClock, "now", lambda self: next(times))
    for _ in range(20):
        fund(app, jane.account_id, "1.00")
    decide(app, held(app, client, jane, john, memo="Middle"), approve=False)
    for _ in range(20):
        fund(app, jane.account_id, "1.00")

    seen = 0
    html = history(client, jane.account_id)
    while True:
        seen += html.count('<tr class="declined">')
        cursor = re.search(r'cursor=([^"&]+)', html)
        if not cursor:
            break
        html = history(client, jane.account_id, cursor=cursor.group(1))
    assert seen == 1


def test_declined_transfers_are_not_in_the_csv_export(app, client, jane):
    john = make_customer(app, "John Smith")
    decide(app, held(app, client, jane, john, memo="Car deposit"), approve=False)
    url = f"/accounts/{jane.account_id}/history/export.csv"
    assert "Car deposit" not in client.get(url).get_data(as_text=True)
    only_declined = client.get(url, query_string={"direction": "declined"}).get_data(as_text=True)
    assert len(only_declined.strip().splitlines()) == 1  # the header: no money moved


# Announcements on the dashboard ---------------------------------------------------------
def announcements(client) -> str:
    html = client.get("/").get_data(as_text=True)
    match = re.search(r'data-testid="announcements">(.*?)</section>', html, re.S)
    return match.group(1) if match else ""


def test_a_decision_is_announced_until_dismissed(app, client, jane):
    john = make_customer(app, "John Smith")
    declined_id = held(app, client, jane, john, memo="One")
    approved_id = held(app, client, jane, john, memo="Two")
    assert announcements(client) == ""  # cached now: the decisions must drop it
    decide(app, declined_id, approve=False, reason="Payee not verified")
    decide(app, approved_id, approve=True)

    notice = announcements(client)
    assert "Declined — not sent" in notice and "Payee not verified" in notice
    assert "Approved — sent" in notice and "J*** S***" in notice
    assert f"announcement-{declined_id}" in notice and f"announcement-{approved_id}" in notice

    page = client.get("/").get_data(as_text=True)
    until = re.search(r'name="until" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/announcements/seen", data={"csrf_token": csrf_from(page), "until": until}
    )
    assert response.status_code == 303
    assert announcements(client) == ""

    # A later decision is news again.
    third = held(app, client, jane, john, memo="Three")
    decide(app, third, approve=False, reason="Too late in the day")
    assert "Too late in the day" in announcements(client)


def test_dismissing_needs_the_csrf_token_and_a_valid_time(app, client, jane):
    john = make_customer(app, "John Smith")
    decide(app, held(app, client, jane, john), approve=False)
    page = client.get("/").get_data(as_text=True)

    no_token = client.post("/announcements/seen", data={"until": utcnow().isoformat()})
    assert no_token.status_code == 400
    garbage = client.post(
        "/announcements/seen",
        data={"csrf_token": csrf_from(page), "until": "yesterday"},
        follow_redirects=True,
    )
    assert garbage.status_code == 200
    assert "could not be dismissed" in garbage.get_data(as_text=True)
    assert "Declined — not sent" in announcements(client)


def test_a_decision_made_after_the_page_was_shown_stays_announced(app, client, jane):
    john = make_customer(app, "John Smith")
    decide(app, held(app, client, jane, john, memo="First"), approve=False)
    page = client.get("/").get_data(as_text=True)
    until = re.search(r'name="until" type="hidden" value="([^"]+)"', page).group(1)
    later = held(app, client, jane, john, memo="Second")
    decide(app, later, approve=False, reason="Decided meanwhile")

    client.post("/announcements/seen", data={"csrf_token": csrf_from(page), "until": until})

    notice = announcements(client)
    assert "Decided meanwhile" in notice and f"announcement-{later}" in notice


def test_the_recipient_and_other_customers_see_no_announcement(app, client, jane):
    from tests.support.sessions import login_as

    john = make_customer(app, "John Smith")
    decide(app, held(app, client, jane, john), approve=True)
    other = app.test_client()
    login_as(other, app, john.id)
    assert announcements(other) == ""
    with app.app_context():
        assert db.session.get(User, jane.id).decisions_seen_at is None
        db.session.remove()
