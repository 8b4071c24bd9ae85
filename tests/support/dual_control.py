"""Helpers for the dual-control and self-dealing tests (issue 12 item 4)."""

from __future__ import annotations

from sqlalchemy import func, select

from banking.core.models import JournalTransaction, PendingAdminAction, User
from banking.extensions import db
from tests.support.admin import confirm_action
from tests.support.builders import Customer, make_admin, make_customer
from tests.support.sessions import login_as

OWN = "That account is yours"
OWN_TXN = "touches an account of yours"


def promoted_owner(app, client, balance: str = "100.00") -> Customer:
    """An admin who also owns a funded account: a customer promoted before the CLI refused."""
    owner = make_customer(app, "Pat Promoted", balance=balance)
    with app.app_context():
        db.session.get(User, owner.id).role = "admin"
        db.session.commit()
        db.session.remove()
    login_as(client, app, owner.id)
    return owner


def second_admin(app, name: str = "Chris Checker") -> tuple:
    """Another admin, signed in on their own client: (client, admin)."""
    client = app.test_client()
    admin = make_admin(app, name)
    login_as(client, app, admin.id)
    return client, admin


def adjust(client, account_id: int, amount: str, direction: str = "credit", reason="teller"):
    return confirm_action(
        client,
        f"/admin/accounts/{account_id}/adjust",
        {"direction": direction, "amount": amount, "reason": reason},
    )


def pending_rows(app) -> list[PendingAdminAction]:
    with app.app_context():
        rows = db.session.scalars(select(PendingAdminAction).order_by(PendingAdminAction.id)).all()
        for row in rows:
            db.session.expunge(row)
        db.session.remove()
        return list(rows)


def journal_count(app) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count(JournalTransaction.id)))
        db.session.remove()
        return count


def text(response) -> str:
    return response.get_data(as_text=True)
