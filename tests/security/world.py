"""A small world for the security tests: two customers with every kind of object, an admin.

Customer A and customer B each own an account (funded), a payee pointing at the other,
a scheduled transfer and a posted transfer; the admin owns nothing. Tests look up the
ids here to fill URL rules (`account_id`, `payee_id`, ...) with someone's objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from uuid import uuid4

from flask import Flask
from sqlalchemy import func, select

from banking import ledger
from banking.accounts import services
from banking.extensions import db
from banking.models import (
    Account,
    AuditEvent,
    Entry,
    JournalTransaction,
    Payee,
    ScheduledTransfer,
    User,
)
from tests.builders import Customer, make_admin, make_customer
from tests.conftest import csrf_from


@dataclass
class Objects:
    """The ids one customer owns, by URL parameter name."""

    customer: Customer
    account_id: int
    payee_id: int
    schedule_id: int
    transaction_id: int

    def params(self) -> dict[str, int | str]:
        return {
            "account_id": self.account_id,
            "payee_id": self.payee_id,
            "schedule_id": self.schedule_id,
            "transaction_id": self.transaction_id,
            "user_id": self.customer.id,
            "token": "not-a-real-token",
        }


@dataclass
class World:
    a: Objects
    b: Objects
    admin: Customer


def _objects(app: Flask, owner: Customer, other: Customer) -> Objects:
    with app.app_context():
        payee = services.add_payee(
            db.session, owner.id, nickname="Friend", account_number=other.account_number
        )
        db.session.commit()
        schedule = ScheduledTransfer(
            owner_id=owner.id,
            from_account_id=owner.account_id,
            to_account_id=other.account_id,
            amount=1000,
            memo="Scheduled",
            frequency="once",
            next_run_on=date.today() + timedelta(days=30),
        )
        db.session.add(schedule)
        db.session.commit()
        posted = ledger.post_transfer(
            db.session,
            source_id=owner.account_id,
            destination_id=other.account_id,
            amount=500,
            initiator_id=owner.id,
            key=f"world-{uuid4()}",
            memo="World transfer",
            owner_id=owner.id,
        )
        objects = Objects(owner, owner.account_id, payee.id, schedule.id, posted.transaction_id)
        db.session.remove()
    return objects


def build_world(app: Flask) -> World:
    a = make_customer(app, "Alice Able", balance="1000.00")
    b = make_customer(app, "Bob Baker", balance="1000.00")
    admin = make_admin(app)
    return World(a=_objects(app, a, b), b=_objects(app, b, a), admin=admin)


def snapshot(app: Flask) -> dict:
    """Row counts of every customer-visible table plus every balance: "nothing changed"."""
    with app.app_context():
        counts = {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (User, Account, Payee, ScheduledTransfer, JournalTransaction, Entry)
        }
        balances = dict(db.session.execute(select(Account.id, Account.balance)).all())
        names = dict(db.session.execute(select(User.id, User.full_name)).all())
        nicknames = dict(db.session.execute(select(Payee.id, Payee.nickname)).all())
        db.session.remove()
    return {"counts": counts, "balances": balances, "names": names, "payees": nicknames}


def audit_count(app: Flask) -> int:
    with app.app_context():
        value = db.session.scalar(select(func.count()).select_from(AuditEvent))
        db.session.remove()
    return value


def page_csrf(client, url: str = "/auth/login") -> str:
    """A CSRF token valid for this client's session (any page with a form will do)."""
    response = client.get(url)
    return csrf_from(response.get_data(as_text=True))
