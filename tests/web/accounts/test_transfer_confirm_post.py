"""The confirm POST, and what its lean paths (`transfer_confirm`) must keep.

It finds the destination by the number it carries (on PostgreSQL straight on the driver,
`services.transfers._destination_id`): a number changed after the confirm page was drawn
is refused in the same words as on the entry form, and nothing moves. Its form skips its
own CSRF field only after the app-wide check passed."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
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


# The fast read of a confirm POST (`_plainly_valid_confirm`) against the form it stands in
# for: whatever it accepts, the form accepts with the same values.
_VALID = {
    "flow": "pay",
    "from_account": "7",
    "to_number": "123456789012",
    "amount": "12.50",
    "memo": "rent",
    "idempotency_key": "6f1c1f0e-1111-4111-8111-111111111111",
    "payee": "",
}
_FIELDS = tuple(_VALID)
_text = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "\t", "pay", "own", "12", "012", " 12", "1e3", "-5", "٣"]),
    st.sampled_from(["0.01", "1,234.50", "1,50", "25.", ".5", "0", "0.001", "99999999999"]),
    st.sampled_from(["x" * 140, "x" * 141, " " * 141, "memo", "a\u00e9"]),
    st.text(max_size=12),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.fixed_dictionaries(
        # Mostly the page's own values, so that each odd one is met next to valid ones.
        {name: st.one_of(st.just(_VALID[name]), st.just(_VALID[name]), _text) for name in _FIELDS}
    )
)
@example(values={**_VALID, "memo": "x" * 141})
@example(values={**_VALID, "memo": " " * 141})
@example(values={**_VALID, "to_number": " "})
@example(values={**_VALID, "flow": "\t"})
@example(values={**_VALID, "idempotency_key": None})
@example(values={**_VALID, "from_account": " 12"})
@example(values={**_VALID, "amount": "1,50"})
def test_the_fast_read_accepts_only_what_the_confirm_form_accepts(app, values):
    from flask import g

    from banking.web.accounts.forms import ConfirmTransferForm
    from banking.web.accounts.transfer_views import _plainly_valid_confirm

    data = {k: v for k, v in values.items() if v is not None}
    with app.test_request_context("/transfers/confirm", method="POST", data=data):
        g.csrf_valid = True  # what CSRFProtect marks before any view runs
        fast = _plainly_valid_confirm()
        form = ConfirmTransferForm(meta={"csrf": False})
        valid = form.validate() and form.from_account_id is not None
    if fast is None:
        return
    assert valid, (data, form.errors)
    assert fast.source_id == form.from_account_id
    assert fast.to_number == form.to_number.data
    assert fast.amount == form.amount_minor
    assert fast.memo == (form.memo.data or "")
    assert fast.key == form.idempotency_key.data


def test_the_fast_read_takes_the_page_as_sent_and_nothing_unmarked(app):
    from flask import g

    from banking.web.accounts.transfer_views import _plainly_valid_confirm

    data = {
        "flow": "pay",
        "from_account": "7",
        "to_number": "123456789012",
        "amount": "1,234.50",
        "memo": "rent",
        "idempotency_key": "k",
    }
    with app.test_request_context("/transfers/confirm", method="POST", data=data):
        assert _plainly_valid_confirm() is None  # the app-wide CSRF check did not pass
        g.csrf_valid = True
        fields = _plainly_valid_confirm()
    assert fields is not None
    assert (fields.source_id, fields.amount, fields.memo) == (7, 123450, "rent")
