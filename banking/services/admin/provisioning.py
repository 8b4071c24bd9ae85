"""Operator use cases that create users: the first admins and the demo data set.

`flask create-admin` and `flask seed-demo` parse and print; creating, auditing and
committing happen here, in one unit of work per change.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from sqlalchemy import func, select

from banking.core.models import User
from banking.core.models.base import utcnow
from banking.core.models.user import ROLE_CUSTOMER
from banking.services import auth, demo, statement_archive
from banking.services import auth_events as events
from banking.services.actor import Actor
from banking.services.admin import work
from banking.services.admin.errors import AdminActionRefused
from banking.services.admin.users import find_user_by_email


def create_admin(*, email: str, full_name: str, password: str, actor: Actor) -> User:
    """Create an admin (the only way one is made); `email` is already normalized.

    The password must already have passed `passwords.password_problems`: the command
    asks for it only after the email is known to be free, so it checks it itself.
    """
    with work.unit_of_work() as session:
        if find_user_by_email(email) is not None:
            raise AdminActionRefused(f"A user with email {email} already exists.")
        user = auth.create_admin(session, full_name=full_name, email=email, password=password)
        session.flush()
        work.record(session, events.ADMIN_CREATED, actor, target_type="user", target_id=user.id)
    return user


def customer_count() -> int:
    return int(
        work.session().scalar(select(func.count(User.id)).where(User.role == ROLE_CUSTOMER)) or 0
    )


def plan_demo(*, customers: int, months: int, seed: int) -> demo.Plan:
    """What seeding would create, around the emails already taken (nothing written yet)."""
    with work.unit_of_work() as session:  # ends the read before the long apply
        return demo.build_plan(
            customers=customers,
            months=months,
            seed=seed,
            now=utcnow(),
            review_threshold=current_app.config["REVIEW_THRESHOLD_CENTS"],
            taken_emails=demo.existing_emails(session),
        )


def seed_demo(
    plan: demo.Plan, *, progress: Callable[[int], None], actor: Actor, statements: bool = True
) -> demo.SeedResult:
    """Post the planned users and history through the ledger (it commits as it goes),
    then issue the last `DEMO_STATEMENT_MONTHS` months' statements the way the worker
    does on the 1st, so the archive is not empty on the first sign-in (unless not
    `statements`: WeasyPrint takes about half a second a document)."""
    config = current_app.config
    with work.unit_of_work() as session:
        result = demo.apply_plan(
            session,
            plan,
            review_threshold=config["REVIEW_THRESHOLD_CENTS"],
            hold_days=config["HOLD_EXPIRY_DAYS"],
            progress=progress,
        )
    if not statements:
        progress(demo.DEMO_STATEMENT_MONTHS)
        return result
    period = statement_archive.default_period()
    months = []
    for _ in range(demo.DEMO_STATEMENT_MONTHS):
        months.append(period)
        period = period.previous()
    for month in reversed(months):  # oldest first, as the worker would have
        report = statement_archive.produce(actor=actor, period=month)
        result.statements += report.produced
        progress(1)
    return result
