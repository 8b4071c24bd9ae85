"""Small builders so tests read as stories: make_customer, fund, login.

Each builder takes the tier's `bank`: the Flask app in the app tiers, a plain
`Database` in tests/core (see tests/support/database.py). There is one builder of each
kind; none imports Flask at module level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar
from uuid import uuid4

from sqlalchemy import select

from banking.core import ledger
from banking.core.account_numbers import new_account_number
from banking.core.models import Account, User
from banking.core.models.base import utcnow
from banking.core.money import parse_amount
from tests.support.database import AppDatabase, Database, as_database
from tests.support.forms import submit

if TYPE_CHECKING:
    from flask import Flask

    Bank = Flask | Database

T = TypeVar("T")

PASSWORD = "correct horse battery staple"
# No argon2 hash is "!", so a customer made without the app can never sign in; the core
# tier has no sign-in to offer, and hashing needs the app's configured cost.
UNUSABLE_PASSWORD_HASH = "!"


@dataclass
class Customer:
    id: int
    email: str
    full_name: str
    password: str
    account_id: int
    account_number: str


def make_customer(
    bank: Bank,
    name: str = "Jane Doe",
    email: str | None = None,
    *,
    password: str = PASSWORD,
    role: str = "customer",
    balance: str | None = None,
) -> Customer:
    """A user (a customer gets a checking account), funded with `balance` when given.

    With the app, through the sign-up service (a real password hash, the audit trail);
    without it, the same rows written directly, since services need Flask.
    """
    email = email or f"{name.split()[0].lower()}.{uuid4().hex[:8]}@example.com"
    database = as_database(bank)
    with database.session() as session:
        if isinstance(database, AppDatabase):
            from banking.services.auth import create_user

            user = create_user(session, full_name=name, email=email, password=password, role=role)
        else:
            user = User(
                full_name=name,
                email=email,
                password_hash=UNUSABLE_PASSWORD_HASH,
                role=role,
                email_verified_at=utcnow(),
            )
            session.add(user)
            session.flush()
            if role == "customer":
                session.add(_new_account(session, user.id, kind="checking"))
        session.commit()
        account = session.scalar(select(Account).where(Account.owner_id == user.id))
        customer = Customer(
            id=user.id,
            email=user.email,
            full_name=user.full_name,
            password=password,
            account_id=account.id if account else 0,
            account_number=account.number if account else "",
        )
    if balance:
        fund(bank, customer.account_id, balance)
    return customer


def make_admin(bank: Bank, name: str = "Ada Admin", email: str | None = None) -> Customer:
    return make_customer(bank, name, email or f"admin.{uuid4().hex[:8]}@example.com", role="admin")


def _new_account(
    session,
    owner_id: int | None,
    *,
    kind: str,
    currency: str = "USD",
    nickname: str = "",
    overdraft: int = 0,
    status: str = "active",
) -> Account:
    """An empty account as the accounts service opens one (same default nicknames)."""
    return Account(
        number=new_account_number(session),
        owner_id=owner_id,
        kind=kind,
        currency=currency,
        nickname=nickname or ("Everyday checking" if kind == "checking" else "Savings"),
        balance=0,
        available_balance=0,
        overdraft_limit=overdraft,
        status=status,
    )


def add_account(
    bank: Bank,
    owner_id: int | None,
    *,
    kind: str = "savings",
    currency: str = "USD",
    nickname: str = "",
    overdraft: int = 0,
    status: str = "active",
) -> int:
    """Another (empty) account for `owner_id`; its id. Written directly: no audit, no limit."""
    with as_database(bank).session() as session:
        account = _new_account(
            session,
            owner_id,
            kind=kind,
            currency=currency,
            nickname=nickname,
            overdraft=overdraft,
            status=status,
        )
        session.add(account)
        session.commit()
        return account.id


def set_status(bank: Bank, account_id: int, status: str, reason: str | None = None) -> None:
    """Freeze or close an account directly, as set-up (the admin pages are tested elsewhere)."""
    with as_database(bank).session() as session:
        account = session.get(Account, account_id)
        account.status = status
        account.status_reason = reason
        session.commit()


def fund(bank: Bank, account_id: int, amount: str) -> None:
    """Deposit cash from outside the bank, through the ledger like every movement."""
    with as_database(bank).session() as session:
        ledger.post_adjustment(
            session,
            account_id=account_id,
            amount=parse_amount(amount),
            initiator_id=None,
            key=f"test-deposit-{uuid4()}",
            memo="Test deposit",
            kind="deposit",
            system_code=ledger.EXTERNAL_CASH,
        )


def balance_of(bank: Bank, account_id: int) -> int:
    with as_database(bank).session() as session:
        return session.get(Account, account_id).balance


def detached(bank: Bank, model: type[T], row_id: int) -> T:
    """Row `row_id` of `model`, read in its own session and detached, for assertions."""
    with as_database(bank).session() as session:
        row = session.get(model, row_id)
        assert row is not None, f"no {model.__name__} {row_id}"
        session.expunge(row)
        return row


def get_user(bank: Bank, user_id: int) -> User:
    return detached(bank, User, user_id)


def get_account(bank: Bank, account_id: int) -> Account:
    return detached(bank, Account, account_id)


def login(client, email: str, password: str = PASSWORD, follow_redirects: bool = False):
    return submit(
        client,
        "/auth/login",
        {"email": email, "password": password},
        follow_redirects=follow_redirects,
    )
