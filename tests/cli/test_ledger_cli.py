"""`flask ledger verify` and `flask ledger expire-holds`, as an operator or cron runs them."""

from __future__ import annotations

import json
from datetime import timedelta

from banking.core import ledger
from banking.core.models.base import utcnow
from tests.support.audit import audit_rows
from tests.support.builders import make_customer
from tests.support.ledger import execute, send, state


def test_verify_on_a_healthy_ledger_exits_zero(app, runner):
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    send(app, alice.account_id, bob.account_id, 2500)

    result = runner.invoke(args=["ledger", "verify"])

    assert result.exit_code == 0, result.output
    assert "OK: every invariant holds." in result.output


def test_verify_deep_on_a_healthy_ledger_exits_zero(app, runner):
    make_customer(app, "Alice Able", balance="100.00")
    result = runner.invoke(args=["ledger", "verify", "--deep"])
    assert result.exit_code == 0, result.output
    assert "checks" in result.output


def test_verify_reports_a_tampered_balance_and_exits_non_zero(app, runner):
    alice = make_customer(app, "Alice Able", balance="100.00")
    execute(app, "UPDATE accounts SET balance = balance - 1 WHERE id = :id", id=alice.account_id)

    result = runner.invoke(args=["ledger", "verify"])

    assert result.exit_code == 1
    assert "FAILED" in result.output
    assert f"account #{alice.account_id} balance is 9999 but sum of entries is 10000" in (
        result.output
    )
    assert "Traceback" not in result.output
    execute(app, "UPDATE accounts SET balance = balance + 1 WHERE id = :id", id=alice.account_id)
    assert runner.invoke(args=["ledger", "verify"]).exit_code == 0


def test_verify_json_is_machine_readable(app, runner):
    alice = make_customer(app, "Alice Able", balance="100.00")

    healthy = runner.invoke(args=["ledger", "verify", "--json"])
    assert healthy.exit_code == 0, healthy.output
    payload = json.loads(healthy.output)
    assert payload["ok"] is True
    assert payload["breaches"] == []
    assert payload["totals"]["entries"] == 2

    execute(
        app,
        "UPDATE accounts SET available_balance = available_balance - 1 WHERE id = :id",
        id=alice.account_id,
    )
    broken = runner.invoke(args=["ledger", "verify", "--json"])
    assert broken.exit_code == 1
    payload = json.loads(broken.output)
    assert payload["ok"] is False
    assert [b["check"] for b in payload["breaches"]] == ["available_balance"]
    execute(
        app,
        "UPDATE accounts SET available_balance = available_balance + 1 WHERE id = :id",
        id=alice.account_id,
    )


def two_holds_one_past_expiry(app):
    """Alice's $30 transfer held past its expiry, and a $20 one still within it."""
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    limits = ledger.Limits(review_threshold=1000)
    due = send(app, alice.account_id, bob.account_id, 3000, limits=limits)
    send(app, alice.account_id, bob.account_id, 2000, limits=limits)
    execute(
        app,
        "UPDATE holds SET expires_at = :when WHERE transaction_id = :id",
        when=utcnow() - timedelta(hours=1),
        id=due.transaction_id,
    )
    return alice, due


def test_expire_holds_releases_only_holds_past_their_expiry(app, runner):
    alice, _due = two_holds_one_past_expiry(app)

    result = runner.invoke(args=["ledger", "expire-holds"])

    assert result.exit_code == 0, result.output
    assert "Released 1 expired hold(s)." in result.output
    assert state(app, alice.account_id) == (10000, 8000)
    again = runner.invoke(args=["ledger", "expire-holds"])
    assert "Released 0 expired hold(s)." in again.output
    assert runner.invoke(args=["ledger", "verify"]).exit_code == 0


def test_expire_holds_writes_one_system_audit_row_per_released_hold(app, runner):
    alice, due = two_holds_one_past_expiry(app)

    runner.invoke(args=["ledger", "expire-holds"])
    runner.invoke(args=["ledger", "expire-holds"])

    (row,) = audit_rows(app, "transfer.hold_expired")
    assert row.actor_id is None and row.success is True
    assert (row.target_type, row.target_id) == ("transaction", str(due.transaction_id))
    assert row.details["amount"] == 3000
    assert row.details["account_id"] == alice.account_id
    assert row.details["status"] == "expired"


def test_verify_records_the_run_for_the_admin_page(app, runner):
    from sqlalchemy import select

    from banking.core.models import LedgerCheck
    from banking.extensions import db

    make_customer(app, "Alice Able", balance="100.00")
    result = runner.invoke(args=["ledger", "verify", "--deep"])
    assert result.exit_code == 0, result.output

    with app.app_context():
        (check,) = db.session.scalars(select(LedgerCheck)).all()
        assert (check.ok, check.deep, check.via, check.actor_id) == (True, True, "cli", None)
        assert check.report["ok"] is True and check.report["totals"]["entries"] == 2
        db.session.remove()
    (row,) = audit_rows(app, "ledger.verify")
    assert row.actor_id is None and row.success is True
    assert row.details == {"ok": True, "breaches": 0, "deep": True, "via": "cli"}


def test_a_failed_verify_is_recorded_too_and_still_exits_non_zero(app, runner):
    from sqlalchemy import select

    from banking.core.models import LedgerCheck
    from banking.extensions import db

    alice = make_customer(app, "Alice Able", balance="100.00")
    execute(app, "UPDATE accounts SET balance = balance - 1 WHERE id = :id", id=alice.account_id)
    result = runner.invoke(args=["ledger", "verify", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.output)["ok"] is False  # the output is only the report
    with app.app_context():
        (check,) = db.session.scalars(select(LedgerCheck)).all()
        assert check.ok is False and check.breaches >= 1 and check.via == "cli"
        db.session.remove()
    execute(app, "UPDATE accounts SET balance = balance + 1 WHERE id = :id", id=alice.account_id)


def test_expire_holds_says_it_ran_from_the_command_line(app, runner):
    two_holds_one_past_expiry(app)
    runner.invoke(args=["ledger", "expire-holds"])
    (row,) = audit_rows(app, "transfer.hold_expired")
    assert row.details["via"] == "cli"
