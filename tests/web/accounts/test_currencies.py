"""Every supported currency has the bank's own accounts behind it.

Deposits, withdrawals, corrections and interest on a EUR (GBP, CAD, CHF) account are
balanced by the system account *of that currency*; sign-up opens the first account in
DEFAULT_CURRENCY; the admin overview and the ledger check count each currency apart.
"""

from __future__ import annotations

from uuid import uuid4

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select

from banking.app import create_app
from banking.core import ledger
from banking.core.account_numbers import is_valid_account_number
from banking.core.integrity import verify_ledger
from banking.core.models import Account, JournalTransaction, User
from banking.core.money import SUPPORTED_CURRENCIES
from banking.extensions import db
from banking.services.accounts import open_account
from config import TestingConfig
from tests.support.admin import admin_client, confirm_action
from tests.support.builders import add_account, make_customer
from tests.support.ledger import state, verify
from tests.support.signup import sign_up_and_sign_in


def system_id(app, code: str, currency: str) -> int:
    with app.app_context():
        found = ledger.system_account_id(db.session, code, currency)
        db.session.remove()
    return found


def adjust(client, account_id: int, direction: str, amount: str):
    return confirm_action(
        client,
        f"/admin/accounts/{account_id}/adjust",
        {"direction": direction, "amount": amount, "reason": "teller"},
    )


def test_admin_deposit_into_a_eur_account_comes_from_eur_external_cash(app, client):
    admin_client(app, client)
    customer = make_customer(app, "Élodie Euro")
    euros = add_account(app, customer.id, kind="checking", currency="EUR")

    page = adjust(client, euros, "deposit", "250.00")

    assert "Adjustment posted" in page.get_data(as_text=True)
    assert state(app, euros) == (25_000, 25_000)
    eur_cash = system_id(app, ledger.EXTERNAL_CASH, "EUR")
    assert state(app, eur_cash)[0] == -25_000
    assert state(app, system_id(app, ledger.EXTERNAL_CASH, "USD"))[0] == 0
    with app.app_context():
        txn = db.session.scalar(
            select(JournalTransaction).where(JournalTransaction.kind == "deposit")
        )
        assert (txn.source_account_id, txn.destination_account_id) == (eur_cash, euros)
        db.session.remove()
    assert verify(app, deep=True).ok


def test_withdrawal_and_correction_on_a_gbp_account_balance_in_gbp(app, client):
    admin_client(app, client)
    customer = make_customer(app)
    pounds = add_account(app, customer.id, kind="checking", currency="GBP")
    adjust(client, pounds, "deposit", "100.00")

    adjust(client, pounds, "withdrawal", "40.00")
    adjust(client, pounds, "debit", "0.50")

    assert state(app, pounds) == (5_950, 5_950)
    assert state(app, system_id(app, ledger.EXTERNAL_CASH, "GBP"))[0] == -6_000
    assert state(app, system_id(app, ledger.SUSPENSE, "GBP"))[0] == 50
    assert verify(app).ok


@pytest.mark.parametrize("currency", SUPPORTED_CURRENCIES)
def test_every_supported_currency_can_take_a_deposit(app, currency):
    customer = make_customer(app)
    account_id = add_account(app, customer.id, kind="checking", currency=currency)
    with app.app_context():
        result = ledger.post_adjustment(
            db.session,
            account_id=account_id,
            amount=1_00,
            initiator_id=None,
            key=str(uuid4()),
            memo="cash",
            kind="deposit",
            system_code=ledger.EXTERNAL_CASH,
        )
        db.session.remove()
    assert result.status == "posted"
    assert verify(app).ok


def test_interest_on_a_chf_savings_account_comes_from_chf_interest_expense(app, runner):
    from tests.cli.test_cli_interest import IN_LAST_MONTH, LAST_MONTH, deposit_at

    customer = make_customer(app)
    savings = add_account(app, customer.id, kind="savings", currency="CHF")
    deposit_at(app, savings, 1_200_000, IN_LAST_MONTH)

    result = runner.invoke(args=["interest", "accrue", "--period", LAST_MONTH])

    assert result.exit_code == 0, result.output
    assert state(app, savings)[0] == 1_200_000 + 1_500
    assert state(app, system_id(app, ledger.INTEREST_EXPENSE, "CHF"))[0] == -1_500
    assert verify(app).ok


def test_an_adjustment_on_an_unknown_account_is_not_found(app):
    with app.app_context(), pytest.raises(ledger.AccountNotFound):
        ledger.post_adjustment(
            db.session,
            account_id=987_654,
            amount=100,
            initiator_id=None,
            key="x",
            memo="",
            system_code=ledger.EXTERNAL_CASH,
        )


def test_overview_shows_money_held_per_currency(app, client):
    admin_client(app, client)
    customer = make_customer(app, balance="150.00")
    euros = add_account(app, customer.id, kind="checking", currency="EUR")
    adjust(client, euros, "deposit", "20.00")

    page = client.get("/admin/").get_data(as_text=True)

    assert "Held for customers (USD)" in page and "$150.00" in page
    assert "Held for customers (EUR)" in page and "€20.00" in page
    assert "Out of balance" not in page
    assert page.count("Books balance") == 2


def test_overview_transfer_volumes_are_per_currency_and_the_chart_in_the_default_one(app, client):
    """$10 and €7 moved today are two figures, never "$17.00"."""
    from tests.support.ledger import send

    admin_client(app, client)
    alice = make_customer(app, "Alice Able", balance="50.00")
    bob = make_customer(app, "Bob Baker")
    alice_eur = add_account(app, alice.id, kind="checking", currency="EUR")
    bob_eur = add_account(app, bob.id, kind="checking", currency="EUR")
    adjust(client, alice_eur, "deposit", "20.00")
    send(app, alice.account_id, bob.account_id, 1_000, owner_id=alice.id)
    send(app, alice_eur, bob_eur, 700, owner_id=alice.id)

    page = client.get("/admin/").get_data(as_text=True)

    assert "€7.00 · $10.00 moved" in page  # by currency code
    assert "$17.00" not in page
    assert "Posted transfers in USD per UTC day" in page


@pytest.mark.corrupts_ledger
def test_an_imbalance_in_one_currency_is_not_hidden_by_another(app, client):
    """+1 cent in EUR and -1 cent in USD cancel out in a naive grand total."""
    admin_client(app, client)
    customer = make_customer(app, balance="10.00")
    euros = add_account(app, customer.id, kind="checking", currency="EUR")
    adjust(client, euros, "deposit", "10.00")
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(
            Account.__table__.update()
            .where(Account.id == euros)
            .values(balance=Account.balance + 1, available_balance=Account.available_balance + 1)
        )
        conn.execute(
            Account.__table__.update()
            .where(Account.id == customer.account_id)
            .values(balance=Account.balance - 1, available_balance=Account.available_balance - 1)
        )

    report = verify(app)
    assert "EUR account balances sum to 1, not 0" in report.format()
    assert "USD account balances sum to -1, not 0" in report.format()
    page = client.get("/admin/").get_data(as_text=True)
    assert "Out of balance" in page and "EUR difference" in page


# Sign-up ------------------------------------------------------------------------------
def signup(client, email: str):
    """Sign up and finish with the emailed link: an open account, signed in."""
    sign_up_and_sign_in(client, email)


def first_account_currency(app, email: str) -> str:
    with app.app_context():
        currency = db.session.scalar(
            select(Account.currency)
            .join(User, Account.owner_id == User.id)
            .where(User.email == email)
        )
        db.session.remove()
    return currency


def test_signup_opens_the_first_account_in_the_default_currency(app, client):
    app.config["DEFAULT_CURRENCY"] = "EUR"

    signup(client, "grace@example.com")

    assert first_account_currency(app, "grace@example.com") == "EUR"
    assert "€0.00" in client.get("/").get_data(as_text=True)


def test_an_unsupported_default_currency_falls_back_to_usd(app, client):
    app.config["DEFAULT_CURRENCY"] = "XYZ"
    signup(client, "grace@example.com")
    assert first_account_currency(app, "grace@example.com") == "USD"


# System accounts and the migration -----------------------------------------------------
def test_system_accounts_exist_once_per_code_and_currency(app):
    with app.app_context():
        again = ledger.ensure_system_accounts(db.session, "EUR")
        rows = db.session.execute(
            select(Account.system_code, Account.currency, func.count())
            .where(Account.system_code.is_not(None))
            .group_by(Account.system_code, Account.currency)
        ).all()
        db.session.remove()
    assert {(code, currency) for code, currency, _ in rows} == {
        (code, currency) for code in ledger.SYSTEM_ACCOUNTS for currency in SUPPORTED_CURRENCIES
    }
    assert all(count == 1 for *_, count in rows)
    assert again[ledger.SUSPENSE] == system_id(app, ledger.SUSPENSE, "EUR")
    assert again[ledger.SUSPENSE] != system_id(app, ledger.SUSPENSE, "USD")


def test_a_second_system_account_for_one_code_and_currency_is_refused(app):
    from sqlalchemy.exc import IntegrityError

    with app.app_context():
        db.session.add(
            Account(number="900000000993", kind="system", system_code="suspense", currency="EUR")
        )
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        db.session.remove()


@pytest.fixture
def scratch_sqlite_app(tmp_path):
    """Its own migrated-from-nothing SQLite file, apart from the suite's database."""
    config = TestingConfig()
    config.SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'migrations.db'}"
    config.SQLALCHEMY_ENGINE_OPTIONS = {}
    return create_app(config)


def system_accounts(app) -> dict[tuple[str, str], str]:
    with app.app_context():
        rows = db.session.execute(
            select(Account.system_code, Account.currency, Account.number).where(
                Account.system_code.is_not(None)
            )
        ).all()
        db.session.remove()
    return {(code, currency): number for code, currency, number in rows}


def test_migration_seeds_system_accounts_for_every_currency_and_reverses(scratch_sqlite_app):
    app = scratch_sqlite_app
    with app.app_context():
        upgrade(revision="0001")
    assert set(system_accounts(app)) == {(code, "USD") for code in ledger.SYSTEM_ACCOUNTS}

    with app.app_context():
        upgrade()
    seeded = system_accounts(app)
    assert set(seeded) == {
        (code, currency) for code in ledger.SYSTEM_ACCOUNTS for currency in SUPPORTED_CURRENCIES
    }
    assert all(is_valid_account_number(number) for number in seeded.values())
    assert len(set(seeded.values())) == len(seeded)

    with app.app_context():
        downgrade(revision="0001")
    assert set(system_accounts(app)) == {(code, "USD") for code in ledger.SYSTEM_ACCOUNTS}
    with app.app_context():
        upgrade()
    assert system_accounts(app) == seeded  # the same numbers again: deterministic


def test_migration_downgrade_refuses_once_a_non_usd_system_account_was_used(
    scratch_sqlite_app, caplog
):
    app = scratch_sqlite_app
    with app.app_context():
        upgrade()
        user = User(full_name="E", email="e@example.com", password_hash="x", role="customer")
        db.session.add(user)
        db.session.flush()
        account = open_account(db.session, user.id, currency="EUR")
        db.session.commit()
        ledger.post_adjustment(
            db.session,
            account_id=account.id,
            amount=500,
            initiator_id=None,
            key="eur-deposit",
            memo="cash",
            kind="deposit",
            system_code=ledger.EXTERNAL_CASH,
        )
        db.session.remove()
        # Flask-Migrate logs the migration's RuntimeError and exits 1, like `flask db`.
        with pytest.raises(SystemExit):
            downgrade(revision="0001")
    assert "already carry journal history" in caplog.text
    assert ("external_cash", "EUR") in system_accounts(app)
    with app.app_context():
        assert verify_ledger(db.session).ok
