"""The confirm POST, and what its lean paths (`transfer_confirm`) must keep.

It finds the destination by the number it carries (on PostgreSQL straight on the driver,
`services.transfers._destination_id`): a number changed after the confirm page was drawn
is refused in the same words as on the entry form, and nothing moves. Its form skips its
own CSRF field only after the app-wide check passed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from banking.core.account_numbers import luhn_check_digit
from banking.core.ledger.system_accounts import SUSPENSE, ensure_system_accounts
from banking.core.models import Account
from banking.extensions import db
from tests.support.builders import balance_of, make_customer
from tests.support.ledger import count_transactions
from tests.support.transfers import confirm, start_transfer


@pytest.fixture
def jane_balance() -> str:
    return "100.00"


def _system_number(app) -> str:
    with app.app_context():
        ensure_system_accounts(db.session)
        return db.session.scalar(select(Account.number).where(Account.system_code == SUSPENSE))


def _unknown_number() -> str:
    body = "12345678901"
    return body + luhn_check_digit(body)


@pytest.mark.parametrize("target", ["unknown", "system"])
def test_a_confirm_naming_no_customer_account_is_refused_and_moves_nothing(
    app, client, jane, target
):
    john = make_customer(app, "John Smith", balance="5.00")
    attempt = start_transfer(
        client,
        "pay",
        {"from_account": jane.account_id, "account_number": john.account_number, "amount": "5"},
    )
    number = _unknown_number() if target == "unknown" else _system_number(app)

    confirm(client, attempt, to_number=number)

    assert attempt.result.status_code == 400
    assert "No account has that number." in attempt.result.get_data(as_text=True)
    assert balance_of(app, jane.account_id) == 10000
    assert count_transactions(app, kind="transfer") == 0


def test_a_confirm_to_the_number_on_the_page_moves_the_money(app, client, jane):
    john = make_customer(app, "John Smith", balance="5.00")
    attempt = start_transfer(
        client,
        "pay",
        {"from_account": jane.account_id, "account_number": john.account_number, "amount": "5"},
    )

    confirm(client, attempt)

    assert attempt.result.status_code == 302
    assert balance_of(app, john.account_id) == 1000
    assert balance_of(app, jane.account_id) == 9500


@pytest.mark.parametrize("token", ["missing", "wrong"])
def test_a_confirm_without_its_csrf_token_moves_nothing(app, client, jane, token):
    """Refused by the app-wide check (a 400 before the view) and, were that check switched
    off, by the confirm form's own: the view skips the form's check only after the
    app-wide one passed."""
    john = make_customer(app, "John Smith", balance="5.00")
    attempt = start_transfer(
        client,
        "pay",
        {"from_account": jane.account_id, "account_number": john.account_number, "amount": "5"},
    )
    fields = dict(attempt.confirm_fields)
    if token == "missing":
        fields.pop("csrf_token")
    else:
        fields["csrf_token"] = "ImJvZ3VzIg.bogus.signature"

    refused = client.post("/transfers/confirm", data=fields)
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    try:
        unchecked = client.post("/transfers/confirm", data=fields)
    finally:
        app.config["WTF_CSRF_CHECK_DEFAULT"] = True

    assert refused.status_code == 400
    assert unchecked.status_code == 400
    assert "Those transfer details were not valid" in unchecked.get_data(as_text=True)
    assert balance_of(app, jane.account_id) == 10000
    assert count_transactions(app, kind="transfer") == 0
