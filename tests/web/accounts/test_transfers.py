"""Transfers through the pages: form -> confirm -> result, and every way they are refused."""

from __future__ import annotations

import pytest

from banking.core.models import AuditEvent, JournalTransaction
from banking.extensions import db
from tests.support.builders import add_account, balance_of, make_customer, set_status
from tests.support.ledger import count_transactions
from tests.support.sessions import login_as
from tests.support.transfers import (
    available_of,
    confirm,
    own_transfer,
    pay,
    start_transfer,
    transfer,
)


@pytest.fixture
def jane_balance() -> str:
    """Jane (tests/web/accounts/conftest.py) starts with this much here."""
    return "1000.00"


@pytest.fixture
def john(app):
    return make_customer(app, "John Smith", balance="50.00")


def page(response) -> str:
    return response.get_data(as_text=True)


def start_payment(client, sender, recipient, amount: str):
    """Fill the pay form from the sender's first account to the recipient's number."""
    return start_transfer(
        client,
        "pay",
        {
            "from_account": sender.account_id,
            "account_number": recipient.account_number,
            "amount": amount,
        },
    )


def test_transfer_between_own_accounts_moves_money_and_shows_new_balance(app, client, jane):
    savings = add_account(app, jane.id, nickname="Rainy day")

    attempt = own_transfer(client, jane.account_id, savings, "250.00", "For later")

    assert attempt.entry.status_code == 200
    assert "Confirm your transfer" in page(attempt.entry)
    assert "Rainy day" in page(attempt.entry)
    assert attempt.result.status_code == 302
    assert attempt.result.headers["Location"].endswith(f"/transfers/{attempt.transaction_id}")
    result = client.get(attempt.result.headers["Location"])
    assert "Transfer sent" in page(result)
    assert "$750.00" in page(result)
    assert balance_of(app, jane.account_id) == 75000
    assert balance_of(app, savings) == 25000


def test_transfer_to_another_customer_masks_their_name_on_confirm(app, client, jane, john):
    attempt = start_payment(client, jane, john, "20")

    html = page(attempt.entry)
    assert "J*** S***" in html
    assert "John Smith" not in html
    assert f"••••{john.account_number[-4:]}" in html
    assert balance_of(app, john.account_id) == 5000  # nothing moves before the confirm


def test_transfer_to_another_customer_moves_money(app, client, jane, john):
    spaced = f"{john.account_number[:4]} {john.account_number[4:8]}-{john.account_number[8:]}"

    attempt = pay(client, jane.account_id, spaced, "20.00")

    assert attempt.transaction_id is not None
    assert balance_of(app, jane.account_id) == 98000
    assert balance_of(app, john.account_id) == 7000


def test_transfer_writes_an_audit_row_for_the_transaction(app, client, jane, john):
    attempt = pay(client, jane.account_id, john.account_number, "5")

    with app.app_context():
        event = db.session.scalar(
            db.select(AuditEvent).where(AuditEvent.action == "transfer.posted")
        )
        assert event.actor_id == jane.id
        assert event.target_type == "transaction"
        assert event.target_id == str(attempt.transaction_id)


@pytest.mark.parametrize(
    "amount",
    [
        "-5",
        "0",
        "1e3",
        "0.001",
        "99999999999999",
        "",
        "١٢٣",
        "abc",
        "12.",
        " ",
        "5,00.1.2",
        "1,50",
        "0,01",
        "1,2345",
    ],
)
def test_bad_amount_is_a_field_error_and_moves_nothing(app, client, jane, john, amount):
    attempt = start_payment(client, jane, john, amount)

    assert attempt.entry.status_code == 400
    assert 'class="field-error" id="amount-error"' in page(attempt.entry)
    assert balance_of(app, jane.account_id) == 100000
    assert count_transactions(app, kind="transfer") == 0


def test_a_decimal_comma_asks_for_a_dot_instead_of_sending_a_hundred_times_more(
    app, client, jane, john
):
    attempt = start_payment(client, jane, john, "1,50")

    assert attempt.entry.status_code == 400
    assert "Use a dot for cents" in page(attempt.entry)
    assert count_transactions(app, kind="transfer") == 0


def test_tampered_amount_on_confirm_moves_nothing(app, client, jane, john):
    attempt = start_payment(client, jane, john, "5")

    confirm(client, attempt, amount="-500")

    assert attempt.result.status_code == 400
    assert balance_of(app, jane.account_id) == 100000
    assert count_transactions(app, kind="transfer") == 0


def test_memo_longer_than_140_characters_is_refused(app, client, jane, john):
    attempt = start_transfer(
        client,
        "pay",
        {
            "from_account": jane.account_id,
            "account_number": john.account_number,
            "amount": "5",
            "memo": "x" * 141,
        },
    )

    assert attempt.entry.status_code == 400
    assert "at most 140 characters" in page(attempt.entry)


def test_memo_is_escaped_on_confirm_and_result(app, client, jane, john):
    memo = '<script>alert("x")</script>'

    attempt = pay(client, jane.account_id, john.account_number, "5", memo)

    assert "<script>alert" not in page(attempt.entry)
    result = client.get(attempt.result.headers["Location"])
    assert "&lt;script&gt;" in page(result)
    assert "<script>alert" not in page(result)


def test_same_key_submitted_twice_moves_money_once(app, client, jane, john):
    attempt = pay(client, jane.account_id, john.account_number, "10")
    first_location = attempt.result.headers["Location"]

    again = client.post("/transfers/confirm", data=attempt.confirm_fields)

    assert again.status_code == 302
    assert again.headers["Location"] == first_location
    assert balance_of(app, jane.account_id) == 99000
    assert balance_of(app, john.account_id) == 6000
    assert count_transactions(app, kind="transfer") == 1


def test_same_key_with_different_details_is_a_clear_error(app, client, jane, john):
    attempt = pay(client, jane.account_id, john.account_number, "10")

    conflict = client.post("/transfers/confirm", data={**attempt.confirm_fields, "amount": "11.00"})

    assert conflict.status_code == 400
    assert "already submitted with different details" in page(conflict)
    assert balance_of(app, jane.account_id) == 99000
    assert count_transactions(app, kind="transfer") == 1


def test_a_fresh_form_gets_a_fresh_key(app, client, jane, john):
    first = pay(client, jane.account_id, john.account_number, "10")
    second = pay(client, jane.account_id, john.account_number, "10")

    assert first.confirm_fields["idempotency_key"] != second.confirm_fields["idempotency_key"]
    assert balance_of(app, john.account_id) == 7000


def test_transfer_from_frozen_account_is_refused(app, client, jane, john):
    set_status(app, jane.account_id, "frozen", "Suspicious activity")

    attempt = start_payment(client, jane, john, "5")

    assert attempt.entry.status_code == 400
    assert "sending account is frozen" in page(attempt.entry)
    assert balance_of(app, john.account_id) == 5000


def test_transfer_to_frozen_account_is_refused(app, client, jane, john):
    set_status(app, john.account_id, "frozen")

    attempt = start_payment(client, jane, john, "5")

    assert attempt.entry.status_code == 400
    assert "receiving account is frozen" in page(attempt.entry)


def test_account_frozen_between_confirm_page_and_confirm_is_refused(app, client, jane, john):
    attempt = start_payment(client, jane, john, "5")
    set_status(app, john.account_id, "frozen")

    confirm(client, attempt)

    assert attempt.result.status_code == 400
    assert "frozen" in page(attempt.result)
    assert balance_of(app, jane.account_id) == 100000
    assert count_transactions(app, kind="transfer") == 0


@pytest.mark.corrupts_ledger
def test_transfer_to_closed_account_is_refused(app, client, jane, john):
    set_status(app, john.account_id, "closed")

    attempt = start_payment(client, jane, john, "5")

    assert attempt.entry.status_code == 400
    assert "receiving account is closed" in page(attempt.entry)


def test_transfer_from_closed_account_is_refused(app, client, jane):
    savings = add_account(app, jane.id)
    set_status(app, savings, "closed")

    attempt = start_transfer(
        client, "own", {"from_account": savings, "to_account": jane.account_id, "amount": "1"}
    )

    assert attempt.entry.status_code == 400
    assert "sending account is closed" in page(attempt.entry)


def test_insufficient_funds_is_refused(app, client, jane, john):
    attempt = start_transfer(
        client,
        "pay",
        {
            "from_account": jane.account_id,
            "account_number": john.account_number,
            "amount": "1000.01",
        },
    )

    assert attempt.entry.status_code == 400
    assert "not enough money" in page(attempt.entry)
    assert balance_of(app, jane.account_id) == 100000


def test_transfer_over_the_per_transfer_limit_is_refused(app, client, jane, john):
    app.config["TRANSFER_LIMIT_CENTS"] = 10_000

    attempt = start_transfer(
        client,
        "pay",
        {
            "from_account": jane.account_id,
            "account_number": john.account_number,
            "amount": "100.01",
        },
    )

    assert attempt.entry.status_code == 400
    assert "per-transfer limit" in page(attempt.entry)


def test_transfer_over_the_daily_limit_is_refused(app, client, jane, john):
    app.config["DAILY_LIMIT_CENTS"] = 15_000
    assert pay(client, jane.account_id, john.account_number, "100").transaction_id

    attempt = start_payment(client, jane, john, "60")

    assert attempt.entry.status_code == 400
    assert "24-hour limit" in page(attempt.entry)
    assert count_transactions(app, kind="transfer") == 1


def test_transfer_to_the_same_account_is_refused(app, client, jane):
    attempt = start_payment(client, jane, jane, "5")

    assert attempt.entry.status_code == 400
    assert "two different accounts" in page(attempt.entry)


def test_unknown_account_number_is_refused(app, client, jane):
    body = "12345678901"
    from banking.core.account_numbers import luhn_check_digit

    attempt = start_transfer(
        client,
        "pay",
        {
            "from_account": jane.account_id,
            "account_number": body + luhn_check_digit(body),
            "amount": "5",
        },
    )

    assert attempt.entry.status_code == 400
    assert "No account has that number" in page(attempt.entry)


def test_account_number_failing_the_check_digit_is_refused(app, client, jane, john):
    wrong = john.account_number[:-1] + str((int(john.account_number[-1]) + 1) % 10)

    attempt = start_transfer(
        client, "pay", {"from_account": jane.account_id, "account_number": wrong, "amount": "5"}
    )

    assert attempt.entry.status_code == 400
    assert "not a valid account number" in page(attempt.entry)


def test_sending_from_another_customers_account_is_refused(app, client, jane, john):
    attempt = start_payment(client, john, jane, "5")

    assert attempt.entry.status_code == 400
    assert balance_of(app, john.account_id) == 5000


def test_confirm_with_another_customers_source_moves_nothing(app, client, jane, john):
    attempt = start_payment(client, jane, john, "5")
    other = make_customer(app, "Eve Other", balance="100")

    confirm(
        client,
        attempt,
        from_account=str(other.account_id),
        to_number=jane.account_number,
    )

    assert attempt.result.status_code == 400
    assert balance_of(app, other.account_id) == 10000
    assert count_transactions(app, kind="transfer") == 0


def test_large_transfer_is_held_for_review(app, client, jane, john):
    app.config["REVIEW_THRESHOLD_CENTS"] = 50_000

    attempt = pay(client, jane.account_id, john.account_number, "600.00")

    result = client.get(attempt.result.headers["Location"])
    assert "awaits review" in page(result)
    assert balance_of(app, jane.account_id) == 100000
    assert available_of(app, jane.account_id) == 40000
    assert balance_of(app, john.account_id) == 5000
    with app.app_context():
        txn = db.session.get(JournalTransaction, attempt.transaction_id)
        assert txn.status == "pending"
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "transfer.held"))
        assert event.target_id == str(txn.id)


@pytest.mark.parametrize(
    ("threshold", "amount", "notice"),
    [(50_000, "600.00", True), (50_000, "500.00", False), (None, "600.00", False)],
)
def test_confirm_page_says_held_exactly_when_the_ledger_will_hold_it(
    app, client, jane, john, threshold, amount, notice
):
    """The page shows the preview's verdict; with no review threshold nothing is held
    (the template once compared the amount with the config and broke on None)."""
    app.config["REVIEW_THRESHOLD_CENTS"] = threshold

    attempt = start_payment(client, jane, john, amount)

    assert attempt.entry.status_code == 200
    html = page(attempt.entry)
    assert ("are checked by our team before they are sent" in html) is notice
    if notice:
        assert "Transfers over $500.00 are checked" in html
    confirm(client, attempt)
    with app.app_context():
        status = db.session.get(JournalTransaction, attempt.transaction_id).status
        db.session.remove()
    assert status == ("pending" if notice else "posted")


def test_sending_to_your_own_account_number_is_refused_on_the_number_field(app, client, jane):
    attempt = start_transfer(
        client,
        "pay",
        {"from_account": jane.account_id, "account_number": jane.account_number, "amount": "5"},
    )

    assert attempt.entry.status_code == 400
    assert "Choose two different accounts." in page(attempt.entry)


def test_result_page_of_a_rejected_transfer_shows_the_admins_reason(app, client, jane, john):
    from banking.services.actor import Actor
    from banking.services.admin import money as money_actions
    from tests.support.builders import make_admin

    app.config["REVIEW_THRESHOLD_CENTS"] = 50_000
    txn_id = pay(client, jane.account_id, john.account_number, "600.00").transaction_id
    admin = make_admin(app)
    with app.app_context():
        money_actions.reject(txn_id, actor=Actor.web(admin.id), reason="Payee unverified")
        db.session.remove()

    html = page(client.get(f"/transfers/{txn_id}"))

    assert "Transfer declined" in html
    assert "was not sent" in html and "Payee unverified" in html
    assert 'data-testid="new-available">$1,000.00<' in html


def test_result_page_of_an_expired_transfer_says_it_was_not_reviewed_in_time(
    app, client, jane, john
):
    from datetime import timedelta

    from banking.core import ledger
    from banking.core.models.base import utcnow

    app.config["REVIEW_THRESHOLD_CENTS"] = 50_000
    txn_id = pay(client, jane.account_id, john.account_number, "600.00").transaction_id
    with app.app_context():
        ledger.expire_holds(db.session, now=utcnow() + timedelta(days=30))
        db.session.remove()

    html = page(client.get(f"/transfers/{txn_id}"))

    assert "Transfer declined" in html and "not reviewed in time" in html


def test_result_page_of_another_customers_transaction_is_404(app, client, jane, john):
    login_as(client, app, john.id)
    theirs = pay(client, john.account_id, jane.account_number, "5").transaction_id
    login_as(client, app, jane.id)

    assert client.get(f"/transfers/{theirs}").status_code == 404


def test_recipient_cannot_open_the_senders_result_page(app, client, jane, john):
    sent = pay(client, jane.account_id, john.account_number, "5").transaction_id
    login_as(client, app, john.id)

    assert client.get(f"/transfers/{sent}").status_code == 404


def test_transfer_to_a_saved_payee(app, client, jane, john):
    from tests.support.forms import submit

    submit(client, "/payees", {"nickname": "Johnny", "account_number": john.account_number})
    with app.app_context():
        from banking.core.models import Payee

        payee_id = db.session.scalar(db.select(Payee.id))

    attempt = transfer(
        client, "pay", {"from_account": jane.account_id, "payee": payee_id, "amount": "7.50"}
    )

    assert attempt.transaction_id is not None
    assert balance_of(app, john.account_id) == 5750


def test_pay_form_needs_a_payee_or_a_number(app, client, jane):
    attempt = start_transfer(client, "pay", {"from_account": jane.account_id, "amount": "5"})

    assert attempt.entry.status_code == 400
    assert "Choose a saved payee or enter an account number" in page(attempt.entry)


def test_confirm_without_csrf_is_refused(app, client, jane, john):
    attempt = start_payment(client, jane, john, "5")
    fields = {k: v for k, v in attempt.confirm_fields.items() if k != "csrf_token"}

    response = client.post("/transfers/confirm", data=fields)

    assert response.status_code == 400
    assert count_transactions(app, kind="transfer") == 0


def test_transfer_pages_need_sign_in(client):
    response = client.get("/transfers/pay")

    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
