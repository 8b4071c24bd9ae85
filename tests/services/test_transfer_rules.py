"""One rule book: the same refused situation gives the same refusal everywhere.

The transfer preview (unlocked), schedule creation (unlocked, standing rules only) and the
posting itself (under the row locks) all ask `banking.core.ledger.rules.check_movement`,
so the class, the code and the words of a refusal cannot drift between them again (the
preview once shipped "cannot receiv money" while the ledger said "receive").
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest

from banking.core import ledger
from banking.core.errors import DomainError
from banking.extensions import db
from banking.services.accounts import open_account
from banking.services.schedules import ScheduleRequest, create_schedule
from banking.services.transfers import limits_from_config, preview_transfer
from tests.support.builders import make_customer, set_status

TOMORROW = date.today() + timedelta(days=2)  # still ahead if the run crosses midnight


@pytest.fixture
def alice(app):
    return make_customer(app, "Alice Able", balance="100.00")


@pytest.fixture
def bob(app):
    return make_customer(app, "Bob Baker")  # empty: closing it keeps the books whole


def refusal(call) -> tuple[type, str, str]:
    with pytest.raises(DomainError) as caught:
        call()
    return type(caught.value), caught.value.code, caught.value.message


def via_preview(app, sender, destination_number: str, amount: int):
    with app.test_request_context():
        try:
            return preview_transfer(
                sender.id,
                source_id=sender.account_id,
                destination_number=destination_number,
                amount=amount,
                memo="",
            )
        finally:
            db.session.remove()


def via_schedule(app, sender, destination_number: str, amount: int):
    with app.test_request_context():
        try:
            return create_schedule(
                sender.id,
                ScheduleRequest(
                    from_account_id=sender.account_id,
                    to_account_id=None,
                    account_number=destination_number,
                    amount=amount,
                    memo="",
                    frequency="once",
                    start_on=TOMORROW,
                    day_of_month=None,
                    end_on=None,
                ),
            ).id
        finally:
            db.session.remove()


def via_posting(app, sender, destination_id: int, amount: int):
    with app.test_request_context():
        try:
            return ledger.post_transfer(
                db.session,
                source_id=sender.account_id,
                destination_id=destination_id,
                amount=amount,
                initiator_id=sender.id,
                key=str(uuid4()),
                owner_id=sender.id,
                limits=limits_from_config(),
            )
        finally:
            db.session.remove()


def everywhere(app, sender, number: str, account_id: int, amount: int) -> set:
    return {
        refusal(lambda: via_preview(app, sender, number, amount)),
        refusal(lambda: via_schedule(app, sender, number, amount)),
        refusal(lambda: via_posting(app, sender, account_id, amount)),
    }


@pytest.mark.corrupts_ledger  # a closed account that still holds money (Alice's 100.00)
def test_a_closed_sending_account_is_refused_in_the_same_words_everywhere(app, alice, bob):
    set_status(app, alice.account_id, "closed")
    answers = everywhere(app, alice, bob.account_number, bob.account_id, 500)
    assert answers == {(ledger.AccountClosed, "account_closed", "The sending account is closed.")}


def test_a_closed_receiving_account_is_refused_in_the_same_words_everywhere(app, alice, bob):
    set_status(app, bob.account_id, "closed")
    answers = everywhere(app, alice, bob.account_number, bob.account_id, 500)
    # Schedule creation used to say "That account is closed." here.
    assert answers == {(ledger.AccountClosed, "account_closed", "The receiving account is closed.")}


def test_a_frozen_receiving_account_is_refused_in_the_same_words_everywhere(app, alice, bob):
    set_status(app, bob.account_id, "frozen")
    answers = everywhere(app, alice, bob.account_number, bob.account_id, 500)
    expected = "The receiving account is frozen and cannot receive money."
    assert answers == {(ledger.AccountFrozen, "account_frozen", expected)}


def test_a_frozen_sending_account_is_refused_in_the_same_words_everywhere(app, alice, bob):
    set_status(app, alice.account_id, "frozen")
    answers = everywhere(app, alice, bob.account_number, bob.account_id, 500)
    expected = "The sending account is frozen and cannot send money."
    assert answers == {(ledger.AccountFrozen, "account_frozen", expected)}


def test_sending_to_the_same_account_is_refused_in_the_same_words_everywhere(app, alice):
    answers = everywhere(app, alice, alice.account_number, alice.account_id, 500)
    assert answers == {(ledger.SameAccount, "same_account", "Choose two different accounts.")}


def test_two_currencies_are_refused_in_the_same_words_everywhere(app, alice, bob):
    with app.app_context():
        euros = open_account(db.session, bob.id, currency="EUR")
        db.session.commit()
        number, account_id = euros.number, euros.id
        db.session.remove()
    answers = everywhere(app, alice, number, account_id, 500)
    expected = "Both accounts must use the same currency."
    assert answers == {(ledger.CurrencyMismatch, "currency_mismatch", expected)}


def test_the_per_transfer_limit_is_refused_in_the_same_words_everywhere(app, alice, bob):
    app.config["TRANSFER_LIMIT_CENTS"] = 1_000
    answers = everywhere(app, alice, bob.account_number, bob.account_id, 1_001)
    expected = "That amount is over your per-transfer limit of $10.00."
    assert answers == {(ledger.LimitExceeded, "limit_exceeded", expected)}


def test_missing_funds_are_refused_alike_by_preview_and_posting_but_not_at_scheduling(
    app, alice, bob
):
    """Funds are a fact of the day the money moves: each run checks them, not the form."""
    preview = refusal(lambda: via_preview(app, alice, bob.account_number, 10_001))
    posting = refusal(lambda: via_posting(app, alice, bob.account_id, 10_001))
    assert (
        preview
        == posting
        == (
            ledger.InsufficientFunds,
            "insufficient_funds",
            "There is not enough money available in that account.",
        )
    )
    assert via_schedule(app, alice, bob.account_number, 10_001)  # saved: its id


def test_the_daily_limit_is_refused_alike_by_preview_and_posting(app, alice, bob):
    app.config["DAILY_LIMIT_CENTS"] = 5_000
    via_posting(app, alice, bob.account_id, 4_000)
    preview = refusal(lambda: via_preview(app, alice, bob.account_number, 1_001))
    posting = refusal(lambda: via_posting(app, alice, bob.account_id, 1_001))
    assert preview == posting
    assert preview[2] == "That transfer would take you over your 24-hour limit of $50.00."


@pytest.mark.parametrize(("threshold", "held"), [(1_000, True), (5_000, False), (None, False)])
def test_the_preview_says_whether_the_ledger_will_hold_the_transfer(
    app, alice, bob, threshold, held
):
    app.config["REVIEW_THRESHOLD_CENTS"] = threshold
    preview = via_preview(app, alice, bob.account_number, 5_000)
    assert preview.held is held
    assert preview.review_threshold == threshold
    assert via_posting(app, alice, bob.account_id, 5_000).status == (
        "pending" if held else "posted"
    )


def test_the_refusal_names_the_form_field_at_fault(app, alice, bob):
    set_status(app, bob.account_id, "frozen")
    with pytest.raises(ledger.AccountFrozen) as on_preview:
        via_preview(app, alice, bob.account_number, 500)
    with pytest.raises(ledger.AccountFrozen) as on_schedule:
        via_schedule(app, alice, bob.account_number, 500)
    assert on_preview.value.field == "to_account"
    assert on_schedule.value.field == "account_number"  # the number the customer typed
