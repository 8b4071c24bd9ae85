"""Small builders so tests read as stories: make_customer, fund, login."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar
from uuid import uuid4

from flask import Flask

from banking.core import ledger
from banking.core.models import Account, User
from banking.core.money import parse_amount
from banking.extensions import db
from banking.services.auth import create_user
from tests.conftest import PASSWORD, submit

T = TypeVar("T")


@dataclass
class Customer:
    id: int
    email: str
    full_name: str
    password: str
    account_id: int
    account_number: str


def make_customer(
    app: Flask,
    name: str = "Jane Doe",
    email: str | None = None,
    *,
    password: str = PASSWORD,
    role: str = "customer",
    balance: str | None = None,
) -> Customer:
    email = email or f"{name.split()[0].lower()}.{uuid4().hex[:8]}@example.com"
    with app.app_context():
        user = create_user(db.session, full_name=name, email=email, password=password, role=role)
        db.session.commit()
        account = db.session.scalar(db.select(Account).where(Account.owner_id == user.id))
        customer = Customer(
            id=user.id,
            email=user.email,
            full_name=user.full_name,
            password=password,
            account_id=account.id if account else 0,
            account_number=account.number if account else "",
        )
        db.session.remove()
    if balance:
        fund(app, customer.account_id, balance)
    return customer


def make_admin(app: Flask, name: str = "Ada Admin", email: str | None = None) -> Customer:
    return make_customer(app, name, email or f"admin.{uuid4().hex[:8]}@example.com", role="admin")


def fund(app: Flask, account_id: int, amount: str) -> None:
    """Deposit cash from outside the bank, through the ledger like every movement."""
    with app.app_context():
        ledger.post_adjustment(
            db.session,
            account_id=account_id,
            amount=parse_amount(amount),
            initiator_id=None,
            key=f"test-deposit-{uuid4()}",
            memo="Test deposit",
            kind="deposit",
            system_code=ledger.EXTERNAL_CASH,
        )
        db.session.remove()


def balance_of(app: Flask, account_id: int) -> int:
    with app.app_context():
        value = db.session.get(Account, account_id).balance
        db.session.remove()
        return value


def detached(app: Flask, model: type[T], row_id: int) -> T:
    """Row `row_id` of `model`, read in its own app context and detached, for assertions."""
    with app.app_context():
        row = db.session.get(model, row_id)
        assert row is not None, f"no {model.__name__} {row_id}"
        db.session.expunge(row)
        db.session.remove()
        return row


def get_user(app: Flask, user_id: int) -> User:
    return detached(app, User, user_id)


def get_account(app: Flask, account_id: int) -> Account:
    return detached(app, Account, account_id)


def login(client, email: str, password: str = PASSWORD, follow_redirects: bool = False):
    return submit(
        client,
        "/auth/login",
        {"email": email, "password": password},
        follow_redirects=follow_redirects,
    )
