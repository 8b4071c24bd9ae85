"""`flask interest accrue --period YYYY-MM`: savings interest paid once per account and month."""

from datetime import timedelta
from uuid import uuid4

from sqlalchemy import func, select

from banking.core import ledger
from banking.core.clock import FixedClock
from banking.core.integrity import verify_ledger
from banking.core.models import Account, JournalTransaction
from banking.core.models.base import utcnow
from banking.extensions import db
from tests.support.builders import add_account, balance_of, make_customer

THIS_MONTH_STARTS = utcnow().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
LAST_MONTH = (THIS_MONTH_STARTS - timedelta(days=1)).strftime("%Y-%m")
IN_LAST_MONTH = THIS_MONTH_STARTS - timedelta(days=10)


def deposit_at(app, account_id, amount, when):
    """A deposit stamped `when` (a fixed clock), like history posted back then."""
    with app.app_context():
        ledger.post_adjustment(
            db.session,
            account_id=account_id,
            amount=amount,
            initiator_id=None,
            key=str(uuid4()),
            memo="Deposit",
            kind="deposit",
            system_code=ledger.EXTERNAL_CASH,
            clock=FixedClock(when),
        )
        db.session.remove()


def interest_transactions(app):
    with app.app_context():
        return db.session.execute(
            select(JournalTransaction.destination_account_id, JournalTransaction.amount).where(
                JournalTransaction.kind == "interest"
            )
        ).all()


def test_interest_is_paid_on_the_balance_at_the_end_of_the_period(app, runner):
    alice = make_customer(app, "Alice Able")
    savings = add_account(app, alice.id)
    deposit_at(app, savings, 1_200_000, IN_LAST_MONTH)  # $12,000.00 last month
    deposit_at(app, savings, 5_000_000, utcnow())  # this month: not part of last month
    app.config["SAVINGS_ANNUAL_RATE_BP"] = 150
    result = runner.invoke(args=["interest", "accrue", "--period", LAST_MONTH])
    assert result.exit_code == 0, result.output
    assert "paid 1 account(s) 15.00 in total" in result.output  # 1,200,000 * 150 / 120,000
    assert interest_transactions(app) == [(savings, 1500)]
    assert balance_of(app, savings) == 1_200_000 + 5_000_000 + 1500


def test_interest_comes_from_the_interest_expense_account(app, runner):
    alice = make_customer(app, "Alice Able")
    savings = add_account(app, alice.id)
    deposit_at(app, savings, 1_200_000, IN_LAST_MONTH)
    runner.invoke(args=["interest", "accrue", "--period", LAST_MONTH])
    with app.app_context():
        expense = db.session.scalar(
            select(Account).where(
                Account.system_code == ledger.INTEREST_EXPENSE, Account.currency == "USD"
            )
        )
        txn = db.session.scalar(
            select(JournalTransaction).where(JournalTransaction.kind == "interest")
        )
        assert txn.source_account_id == expense.id
        assert expense.balance == -txn.amount
        assert txn.memo.startswith(f"Interest for {LAST_MONTH}")
        assert verify_ledger(db.session).ok


def test_running_twice_pays_once(app, runner):
    alice = make_customer(app, "Alice Able")
    savings = add_account(app, alice.id)
    deposit_at(app, savings, 2_400_000, IN_LAST_MONTH)
    first = runner.invoke(args=["interest", "accrue", "--period", LAST_MONTH])
    second = runner.invoke(args=["interest", "accrue", "--period", LAST_MONTH])
    assert first.exit_code == 0
    assert second.exit_code == 0, second.output
    assert "paid 0 account(s)" in second.output
    assert "1 already paid" in second.output
    assert len(interest_transactions(app)) == 1
    assert balance_of(app, savings) == 2_400_000 + 3000


def test_each_interest_payment_writes_one_system_audit_row(app, runner):
    from tests.support.audit import audit_rows

    alice = make_customer(app, "Alice Able")
    savings = add_account(app, alice.id)
    deposit_at(app, savings, 2_400_000, IN_LAST_MONTH)

    runner.invoke(args=["interest", "accrue", "--period", LAST_MONTH])
    runner.invoke(args=["interest", "accrue", "--period", LAST_MONTH])  # a replay: no new row

    ((account_id, amount),) = interest_transactions(app)
    (row,) = audit_rows(app, "interest.paid")
    assert row.actor_id is None and row.success is True
    assert row.target_type == "transaction"
    assert row.details == {
        "account_id": savings,
        "amount": 3000,
        "period": LAST_MONTH,
        "rate_bp": app.config["SAVINGS_ANNUAL_RATE_BP"],
    }
    with app.app_context():
        txn = db.session.get(JournalTransaction, int(row.target_id))
        assert (txn.kind, txn.destination_account_id, txn.amount) == (
            "interest",
            account_id,
            amount,
        )
        db.session.remove()


def test_checking_accounts_earn_no_interest(app, runner):
    alice = make_customer(app, "Alice Able")
    deposit_at(app, alice.account_id, 1_200_000, IN_LAST_MONTH)
    result = runner.invoke(args=["interest", "accrue", "--period", LAST_MONTH])
    assert result.exit_code == 0
    assert interest_transactions(app) == []


def test_interest_that_rounds_to_zero_posts_nothing(app, runner):
    alice = make_customer(app, "Alice Able")
    savings = add_account(app, alice.id)
    deposit_at(app, savings, 300, IN_LAST_MONTH)  # $3.00 earns 0.375 cents
    result = runner.invoke(args=["interest", "accrue", "--period", LAST_MONTH])
    assert result.exit_code == 0
    assert "1 with nothing due" in result.output
    assert interest_transactions(app) == []


def test_money_deposited_after_the_period_earns_nothing_for_it(app, runner):
    alice = make_customer(app, "Alice Able")
    savings = add_account(app, alice.id)
    deposit_at(app, savings, 1_200_000, utcnow())
    result = runner.invoke(args=["interest", "accrue", "--period", LAST_MONTH])
    assert result.exit_code == 0
    assert interest_transactions(app) == []


def test_each_savings_account_is_paid_its_own_interest(app, runner):
    alice = make_customer(app, "Alice Able")
    bob = make_customer(app, "Bob Baker")
    alice_savings, bob_savings = add_account(app, alice.id), add_account(app, bob.id)
    deposit_at(app, alice_savings, 120_000, IN_LAST_MONTH)
    deposit_at(app, bob_savings, 240_000, IN_LAST_MONTH)
    result = runner.invoke(args=["interest", "accrue", "--period", LAST_MONTH])
    assert "paid 2 account(s) 4.50 in total" in result.output
    assert sorted(interest_transactions(app)) == sorted([(alice_savings, 150), (bob_savings, 300)])


def test_malformed_period_is_refused(app, runner):
    result = runner.invoke(args=["interest", "accrue", "--period", "2024-13"])
    assert result.exit_code != 0
    assert "not a valid month" in result.output
    result = runner.invoke(args=["interest", "accrue", "--period", "May"])
    assert result.exit_code != 0
    assert "YYYY-MM" in result.output


def test_current_or_future_period_is_refused(app, runner):
    alice = make_customer(app, "Alice Able")
    savings = add_account(app, alice.id)
    deposit_at(app, savings, 1_200_000, IN_LAST_MONTH)
    for period in (utcnow().strftime("%Y-%m"), f"{utcnow().year + 1}-01"):
        result = runner.invoke(args=["interest", "accrue", "--period", period])
        assert result.exit_code != 0
        assert "has not ended yet" in result.output
    assert interest_transactions(app) == []


def test_period_is_required(runner):
    result = runner.invoke(args=["interest", "accrue"])
    assert result.exit_code != 0
    assert "--period" in result.output


def test_no_savings_accounts_is_a_quiet_success(app, runner):
    result = runner.invoke(args=["interest", "accrue", "--period", LAST_MONTH])
    assert result.exit_code == 0
    assert "paid 0 account(s)" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(JournalTransaction.id))) == 0


def test_the_run_itself_is_audited_with_the_command_line_as_its_door(app, runner):
    from tests.support.audit import audit_rows

    alice = make_customer(app, "Alice Able")
    savings = add_account(app, alice.id)
    deposit_at(app, savings, 2_400_000, IN_LAST_MONTH)
    runner.invoke(args=["interest", "accrue", "--period", LAST_MONTH])
    runner.invoke(args=["interest", "accrue", "--period", LAST_MONTH])

    first, replay = audit_rows(app, "interest.accrual_run")
    assert (first.target_type, first.target_id, first.actor_id) == (
        "interest_period",
        LAST_MONTH,
        None,
    )
    assert first.details["via"] == "cli" and first.details["paid"] == 1
    assert first.details["total_paid"] == 3000
    assert replay.details["paid"] == 0 and replay.details["already_paid"] == 1
