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

from banking.core import ledger, notifications
from banking.core.models import (
    Account,
    AuditEvent,
    Entry,
    FailedJob,
    Hold,
    JournalTransaction,
    Notification,
    Payee,
    PendingAdminAction,
    RecoveryCode,
    SavingsGoal,
    ScheduledTransfer,
    StatementDocument,
    User,
)
from banking.extensions import db
from banking.services import accounts as services
from banking.services.actor import Actor
from banking.services.admin import dual_control
from tests.support.builders import Customer, make_admin, make_customer
from tests.support.forms import csrf_from
from tests.support.jobs import make_failed_job

WORLD_STATEMENT_MONTH = "2026-01"


@dataclass
class Objects:
    """The ids one customer owns, by URL parameter name."""

    customer: Customer
    account_id: int
    payee_id: int
    schedule_id: int
    transaction_id: int
    pending_action_id: int = 0
    failed_job_id: int = 0
    notification_id: int = 0

    def params(self) -> dict[str, int | str]:
        return {
            "account_id": self.account_id,
            "payee_id": self.payee_id,
            "schedule_id": self.schedule_id,
            "transaction_id": self.transaction_id,
            "action_id": self.pending_action_id,
            "job_id": self.failed_job_id,
            "notification_id": self.notification_id,
            "user_id": self.customer.id,
            "token": "not-a-real-token",
            "month": WORLD_STATEMENT_MONTH,  # each account has this month's document
            "kind": "pdf",
        }


@dataclass
class World:
    a: Objects
    b: Objects
    admin: Customer


def _objects(app: Flask, owner: Customer, other: Customer) -> Objects:
    with app.app_context():
        payee = services.add_payee(
            owner.id, nickname="Friend", account_number=other.account_number
        )
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
        # A goal (written directly: the rules allow goals on savings accounts only) that
        # an unguarded remove or set on someone else's account would change.
        db.session.add(
            SavingsGoal(account_id=owner.account_id, owner_id=owner.id, target_amount=100_000)
        )
        # An issued statement (written directly: rendering a real PDF is not the point
        # here), so a download of someone else's is refused, not merely missing.
        db.session.add(
            StatementDocument(
                account_id=owner.account_id,
                period=date(2026, 1, 1),
                opening=0,
                closing=0,
                credits=0,
                debits=0,
                entry_count=0,
                pdf=b"%PDF-1.7 world",
                csv=b"Date,Type\r\n",
            )
        )
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
        # An unread notification that opening someone else's would mark read.
        notice = notifications.build(owner.id, notifications.Kind.INCOMING_TRANSFER, "In", "Body")
        db.session.add(notice)
        db.session.commit()
        objects = Objects(owner, owner.account_id, payee.id, schedule.id, posted.transaction_id)
        objects.notification_id = notice.id
        db.session.remove()
    return objects


def build_world(app: Flask) -> World:
    a = make_customer(app, "Alice Able", balance="1000.00")
    b = make_customer(app, "Bob Baker", balance="1000.00")
    admin = make_admin(app)
    world = World(a=_objects(app, a, b), b=_objects(app, b, a), admin=admin)
    # A large adjustment of B's account another admin asked for, awaiting a second admin.
    maker = make_admin(app, "Mark Maker")
    with app.app_context():
        pending = dual_control.request_adjustment(
            b.account_id,
            direction="credit",
            amount=500_000,
            key=f"world-{uuid4()}",
            actor=Actor.web(maker.id),
            reason="World request",
        )
        world.a.pending_action_id = world.b.pending_action_id = pending.id
        db.session.remove()
    # A background job that gave up, open for an admin's retry.
    world.a.failed_job_id = world.b.failed_job_id = make_failed_job(app)
    return world


# Every table a form or an action can write, whole rows: a refused request that changed
# a nickname, a status, an email, a password hash, a session token (signing someone out),
# a schedule's next run or a hold would show up here. The audit log is counted apart
# (`audit_count`): refusals may rightly record that they happened.
SNAPSHOT_MODELS = (
    User,
    RecoveryCode,
    Account,
    Payee,
    SavingsGoal,
    ScheduledTransfer,
    JournalTransaction,
    Entry,
    Hold,
    PendingAdminAction,
    FailedJob,
    Notification,
)
Snapshot = dict[str, dict[int, dict[str, object]]]


def snapshot(app: Flask) -> Snapshot:
    """Every row of every table in SNAPSHOT_MODELS, every column: "nothing changed"."""
    with app.app_context():
        state = {}
        for model in SNAPSHOT_MODELS:
            table = model.__table__
            rows = db.session.execute(select(table).order_by(table.c.id)).mappings().all()
            state[table.name] = {row["id"]: dict(row) for row in rows}
        db.session.remove()
    return state


Ignore = dict[str, set[str] | dict[int, set[str]]]


def changes(before: Snapshot, after: Snapshot, *, ignore: Ignore | None = None):
    """What differs, cell by cell ({table: {id: {column: (before, after)}}}), for messages.

    `ignore` names columns a request may rightly change, in every row of a table
    ({"users": {"failed_logins"}}: a failed sign-in counts itself) or in one row only
    ({"users": {7: {"session_token"}}}: user 7 signing themselves out).
    """
    ignore = ignore or {}
    found: dict[str, dict] = {}
    for table in before.keys() | after.keys():
        old, new = before.get(table, {}), after.get(table, {})
        skip = ignore.get(table, set())
        diff: dict = {}
        for row_id in old.keys() | new.keys():
            if row_id not in new:
                diff[row_id] = "deleted"
            elif row_id not in old:
                diff[row_id] = "added"
            else:
                skipped = skip.get(row_id, set()) if isinstance(skip, dict) else skip
                cells = {
                    column: (old[row_id][column], value)
                    for column, value in new[row_id].items()
                    if column not in skipped and old[row_id].get(column) != value
                }
                if cells:
                    diff[row_id] = cells
        if diff:
            found[table] = diff
    return found


def assert_unchanged(app: Flask, before: Snapshot, context=None, **kwargs) -> None:
    diff = changes(before, snapshot(app), **kwargs)
    assert not diff, (context, diff)


def audit_count(app: Flask) -> int:
    with app.app_context():
        value = db.session.scalar(select(func.count()).select_from(AuditEvent))
        db.session.remove()
    return value


def page_csrf(client, url: str = "/auth/login") -> str:
    """A CSRF token valid for this client's session (any page with a form will do)."""
    response = client.get(url)
    return csrf_from(response.get_data(as_text=True))
