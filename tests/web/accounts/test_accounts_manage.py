"""Opening, renaming and closing one's own accounts; other customers' accounts are 404."""

from __future__ import annotations

import threading

import pytest

from banking.core import ledger
from banking.core.models import Account, AuditEvent
from banking.extensions import db
from banking.services import audit
from tests.support.builders import add_account, fund, make_customer, set_status
from tests.support.forms import submit
from tests.support.ledger import hold, send, verify
from tests.support.transfers import own_transfer


def accounts_of(app, user_id: int) -> list[Account]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                db.select(Account).where(Account.owner_id == user_id).order_by(Account.id)
            )
        )
        db.session.expunge_all()
        return rows


def close_own(client, account_id: int, *, follow_redirects: bool = False):
    """Press Close on the account's settings page."""
    return submit(
        client,
        f"/accounts/{account_id}/close",
        form_url=f"/accounts/{account_id}/settings",
        follow_redirects=follow_redirects,
    )


def test_customer_opens_a_savings_account(app, client, jane):
    response = submit(
        client,
        "/accounts/open",
        {"kind": "savings", "currency": "USD", "nickname": "Holiday"},
        follow_redirects=True,
    )

    assert response.status_code == 200
    assert "Holiday" in response.get_data(as_text=True)
    new = accounts_of(app, jane.id)[-1]
    assert (new.kind, new.nickname, new.balance) == ("savings", "Holiday", 0)
    with app.app_context():
        assert db.session.scalar(
            db.select(AuditEvent).where(AuditEvent.action == "account.opened")
        ).target_id == str(new.id)


def test_opening_an_unknown_account_kind_is_refused(app, client, jane):
    response = submit(client, "/accounts/open", {"kind": "system", "currency": "USD"})

    assert response.status_code == 400
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert len(accounts_of(app, jane.id)) == 1


def test_new_account_appears_on_a_dashboard_that_was_cached(app, client, jane):
    client.get("/")

    submit(client, "/accounts/open", {"kind": "savings", "currency": "USD", "nickname": "Pot"})

    assert "Pot" in client.get("/").get_data(as_text=True)


def test_customer_renames_an_account(app, client, jane):
    response = submit(
        client,
        f"/accounts/{jane.account_id}/rename",
        {"nickname": "Bills <&>"},
        form_url=f"/accounts/{jane.account_id}/settings",
        follow_redirects=True,
    )

    assert response.status_code == 200
    assert "Bills &lt;&amp;&gt;" in response.get_data(as_text=True)
    assert accounts_of(app, jane.id)[0].nickname == "Bills <&>"


def test_rename_with_an_overlong_nickname_is_refused(app, client, jane):
    response = submit(
        client,
        f"/accounts/{jane.account_id}/rename",
        {"nickname": "x" * 61},
        form_url=f"/accounts/{jane.account_id}/settings",
    )

    assert response.status_code == 400
    assert "at most 60 characters" in response.get_data(as_text=True)


def test_customer_closes_an_empty_account(app, client, jane):
    savings = add_account(app, jane.id, nickname="Old pot")

    response = close_own(client, savings, follow_redirects=True)

    assert response.status_code == 200
    assert "Old pot is closed" in response.get_data(as_text=True)
    assert accounts_of(app, jane.id)[1].status == "closed"


def test_account_with_money_cannot_be_closed(app, client, jane):
    fund(app, jane.account_id, "1.00")

    response = close_own(client, jane.account_id)

    assert response.status_code == 400
    assert "zero balance" in response.get_data(as_text=True)
    assert accounts_of(app, jane.id)[0].status == "active"


def test_account_with_a_pending_hold_cannot_be_closed(app, client, jane):
    app.config["REVIEW_THRESHOLD_CENTS"] = 1_000
    savings = add_account(app, jane.id)
    fund(app, savings, "20.00")
    own_transfer(client, savings, jane.account_id, "20.00")  # held: balance stays 20
    # Even once the balance is moved away, the hold keeps the account open; here it's both.

    response = close_own(client, savings)

    assert response.status_code == 400
    assert "awaiting review" in response.get_data(as_text=True)


def test_account_with_an_incoming_transfer_awaiting_review_cannot_be_closed(app, client, jane):
    """Money may still arrive; the admin close already refused this, now both do."""
    john = make_customer(app, "John Smith", balance="100.00")
    hold(app, john, jane.account_id, 6_000)

    response = close_own(client, jane.account_id)

    assert response.status_code == 400
    assert "A transfer to this account is awaiting review" in response.get_data(as_text=True)
    assert accounts_of(app, jane.id)[0].status == "active"


def test_closing_an_account_is_audited_once(app, client, jane):
    savings = add_account(app, jane.id)

    close_own(client, savings)

    with app.app_context():
        rows = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.action == "account.closed")
        ).all()
        assert [(row.actor_id, row.target_id) for row in rows] == [(jane.id, str(savings))]
        db.session.remove()


def test_a_transfer_landing_during_a_close_never_leaves_a_closed_account_with_money(
    app, client, jane, requires_postgres, monkeypatch
):
    """A payment to Jane arrives while her close is between its checks and its commit.

    The close holds the account's row lock, so the payment waits and then finds the
    account closed. (Checking an unlocked read let the payment commit in between and the
    close then shut an account holding it.)
    """
    john = make_customer(app, "John Smith", balance="100.00")
    savings = add_account(app, jane.id)
    outcome: dict[str, object] = {}
    arrived = threading.Event()
    real_record = audit.record

    def pay_in() -> None:
        try:
            outcome["payment"] = send(app, john.account_id, savings, 2_500, owner_id=john.id)
        except ledger.LedgerError as exc:
            outcome["payment"] = exc
        finally:
            arrived.set()

    def record_with_a_payment_in_between(action, **kwargs):
        if action == "account.closed" and "worker" not in outcome:
            outcome["worker"] = threading.Thread(target=pay_in)
            outcome["worker"].start()
            arrived.wait(timeout=1.0)  # an unblocked payment has committed by now
        return real_record(action, **kwargs)

    monkeypatch.setattr(audit, "record", record_with_a_payment_in_between)

    close_own(client, savings)
    outcome["worker"].join(timeout=10)

    closed = accounts_of(app, jane.id)[1]
    assert (closed.status, closed.balance) == ("closed", 0)
    assert isinstance(outcome["payment"], ledger.AccountClosed)
    assert verify(app).ok


def test_frozen_account_cannot_be_closed_online(app, client, jane):
    set_status(app, jane.account_id, "frozen", "Checks")

    response = close_own(client, jane.account_id)

    assert response.status_code == 400
    assert "frozen account cannot be closed" in response.get_data(as_text=True)


def test_settings_page_explains_a_frozen_account(app, client, jane):
    set_status(app, jane.account_id, "frozen", "Identity check pending")

    html = client.get(f"/accounts/{jane.account_id}/settings").get_data(as_text=True)

    assert "This account is frozen" in html
    assert "Identity check pending" in html


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/accounts/{id}/settings"),
        ("post", "/accounts/{id}/rename"),
        ("post", "/accounts/{id}/close"),
    ],
)
def test_another_customers_account_is_404(app, client, jane, method, path):
    john = make_customer(app, "John Smith")
    url = path.format(id=john.account_id)
    if method == "get":
        response = client.get(url)
    else:
        response = submit(client, url, {"nickname": "Mine now"}, form_url="/accounts/open")

    assert response.status_code == 404
    assert accounts_of(app, john.id)[0].status == "active"


def test_system_account_is_404(app, client, jane):
    with app.app_context():
        system_id = db.session.scalar(db.select(Account.id).where(Account.kind == "system"))

    assert client.get(f"/accounts/{system_id}/settings").status_code == 404
