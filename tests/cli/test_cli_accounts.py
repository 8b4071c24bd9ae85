"""`flask accounts freeze|unfreeze NUMBER`: stop and restore an account, with the reason kept."""

from uuid import uuid4

import pytest
from sqlalchemy import select

from banking.core import ledger
from banking.core.account_numbers import luhn_check_digit
from banking.core.models import Account, AuditEvent
from banking.extensions import db
from tests.support.builders import get_account, make_customer


def audit_rows(app):
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        return [(row.action, row.actor_id, row.target_id, row.details) for row in rows]


def test_freeze_stores_the_reason_and_is_audited(app, runner):
    alice = make_customer(app, "Alice Able")
    result = runner.invoke(
        args=["accounts", "freeze", alice.account_number, "--reason", "court order 12"]
    )
    assert result.exit_code == 0, result.output
    assert f"Froze account ••••{alice.account_number[-4:]}" in result.output
    assert alice.account_number not in result.output  # never the full number
    account = get_account(app, alice.account_id)
    assert account.status == "frozen"
    assert account.status_reason == "court order 12"
    assert audit_rows(app) == [
        (
            "admin.account.freeze",
            None,
            str(alice.account_id),
            {"via": "cli", "number": account.masked_number, "reason": "court order 12"},
        )
    ]


def test_frozen_account_cannot_send_money(app, runner):
    alice = make_customer(app, "Alice Able", balance="50.00")
    bob = make_customer(app, "Bob Baker")
    runner.invoke(args=["accounts", "freeze", alice.account_number, "--reason", "fraud"])
    with app.app_context(), pytest.raises(ledger.AccountFrozen):
        ledger.post_transfer(
            db.session,
            source_id=alice.account_id,
            destination_id=bob.account_id,
            amount=100,
            initiator_id=alice.id,
            key=str(uuid4()),
            owner_id=alice.id,
        )


def test_freeze_accepts_a_number_with_spaces_and_dashes(app, runner):
    alice = make_customer(app, "Alice Able")
    pasted = f"{alice.account_number[:4]} {alice.account_number[4:8]}-{alice.account_number[8:]}"
    result = runner.invoke(args=["accounts", "freeze", pasted, "--reason", "check"])
    assert result.exit_code == 0, result.output
    assert get_account(app, alice.account_id).status == "frozen"


def test_freeze_requires_a_reason(app, runner):
    alice = make_customer(app, "Alice Able")
    result = runner.invoke(args=["accounts", "freeze", alice.account_number])
    assert result.exit_code != 0
    assert "Missing option '--reason'" in result.output
    blank = runner.invoke(args=["accounts", "freeze", alice.account_number, "--reason", " "])
    assert blank.exit_code != 0
    assert get_account(app, alice.account_id).status == "active"


def test_unfreeze_restores_the_account_and_is_audited(app, runner):
    alice = make_customer(app, "Alice Able")
    runner.invoke(args=["accounts", "freeze", alice.account_number, "--reason", "fraud"])
    result = runner.invoke(
        args=["accounts", "unfreeze", alice.account_number, "--reason", "cleared"]
    )
    assert result.exit_code == 0, result.output
    account = get_account(app, alice.account_id)
    assert account.status == "active"
    assert account.status_reason is None
    action, actor, _, details = audit_rows(app)[-1]
    assert (action, actor) == ("admin.account.unfreeze", None)
    assert details == {"via": "cli", "number": account.masked_number, "reason": "cleared"}


def test_unfreeze_requires_a_reason(app, runner):
    alice = make_customer(app, "Alice Able")
    runner.invoke(args=["accounts", "freeze", alice.account_number, "--reason", "fraud"])

    missing = runner.invoke(args=["accounts", "unfreeze", alice.account_number])
    blank = runner.invoke(args=["accounts", "unfreeze", alice.account_number, "--reason", "  "])

    assert missing.exit_code != 0
    assert "Missing option '--reason'" in missing.output
    assert blank.exit_code != 0
    assert "Give a reason" in blank.output
    assert get_account(app, alice.account_id).status == "frozen"
    assert [row[0] for row in audit_rows(app)] == ["admin.account.freeze"]


def test_unfreeze_stores_a_long_reason_capped_to_the_column(app, runner):
    alice = make_customer(app, "Alice Able")
    runner.invoke(args=["accounts", "freeze", alice.account_number, "--reason", "fraud"])
    result = runner.invoke(
        args=["accounts", "unfreeze", alice.account_number, "--reason", "  " + "x" * 300]
    )
    assert result.exit_code == 0, result.output
    *_, details = audit_rows(app)[-1]
    assert details["reason"] == "x" * 200


def test_unfreeze_help_explains_the_reason(runner):
    result = runner.invoke(args=["accounts", "unfreeze", "--help"])
    assert "--reason" in result.output
    assert "Why the account is unfrozen" in result.output


def test_unfreeze_an_active_account_fails(app, runner):
    alice = make_customer(app, "Alice Able")
    result = runner.invoke(args=["accounts", "unfreeze", alice.account_number, "--reason", "x"])
    assert result.exit_code != 0
    assert "not frozen" in result.output
    assert audit_rows(app) == []


def test_malformed_account_number_fails_with_a_message(app, runner):
    result = runner.invoke(args=["accounts", "freeze", "12345", "--reason", "x"])
    assert result.exit_code != 0
    assert "not a valid account number" in result.output


def test_unknown_account_number_fails_with_a_message(app, runner):
    body = "99999999999"
    unknown = body + luhn_check_digit(body)  # well-formed, but nobody's
    for args in (
        ["accounts", "freeze", unknown, "--reason", "x"],
        ["accounts", "unfreeze", unknown, "--reason", "x"],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code != 0
        assert f"No customer account with number {unknown}" in result.output
    assert audit_rows(app) == []


def test_system_accounts_cannot_be_frozen(app, runner):
    with app.app_context():
        number = db.session.scalar(
            select(Account.number).where(Account.system_code == ledger.EXTERNAL_CASH)
        )
    result = runner.invoke(args=["accounts", "freeze", number, "--reason", "x"])
    assert result.exit_code != 0
    assert "No customer account" in result.output


def test_freeze_help_explains_the_reason(runner):
    result = runner.invoke(args=["accounts", "freeze", "--help"])
    assert "--reason" in result.output
    assert "Why the account is frozen" in result.output
