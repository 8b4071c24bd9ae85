"""The demo-data generator behind `flask seed-demo`: believable customers and months of history.

Two steps, so the money is deterministic for a seed and always feasible:
`build_plan` (pure, no database: `banking.services.demo_plan`, re-exported here) draws
customers and their months of history from a seed and keeps only what never overdraws;
`apply_plan` (this module) creates the users through the auth services and posts every movement
through `banking.core.ledger` (with a `FixedClock` per event to date it in the past), so every
ledger invariant holds exactly as it would for real traffic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.orm import Session

from banking.core import categories, ledger
from banking.core import notifications as notices
from banking.core.clock import SYSTEM_CLOCK, Clock, FixedClock
from banking.core.models import (
    Account,
    AccountKind,
    CategoryOverride,
    Frequency,
    Notification,
    Payee,
    SavingsGoal,
    ScheduledTransfer,
    ScheduleStatus,
    User,
)
from banking.core.models.base import utcnow
from banking.core.names import mask_name
from banking.core.scheduling import first_run
from banking.services.accounts import open_account
from banking.services.auth import create_admin, create_user
from banking.services.demo_plan import (
    CHECKING,
    DEMO_CATEGORY_RULE,
    DEMO_STATEMENT_MONTHS,
    SAVINGS,
    Event,
    Plan,
    ScheduleSpec,
    build_plan,
)

__all__ = [
    "ADMIN_EMAIL",
    "DEMO_PASSWORD",
    "DEMO_STATEMENT_MONTHS",
    "Plan",
    "SeedResult",
    "apply_plan",
    "build_plan",  # re-exported: `flask seed-demo` draws and applies through this module
    "existing_emails",
]

# One password for every demo sign-in: 20 characters, not in the common-password list.
DEMO_PASSWORD = "demo-banking-sandbox-2024"  # noqa: S105 - published demo credential
ADMIN_EMAIL = "admin@example.com"
ADMIN_NAME = "Ada Admin"


@dataclass
class SeedResult:
    customer_emails: list[str]
    admin_email: str
    admin_created: bool
    transactions: int
    pending_review: int
    statements: int = 0  # statement documents issued for past months (see provisioning)


def apply_plan(
    session: Session,
    plan: Plan,
    *,
    review_threshold: int,
    hold_days: int,
    admin_email: str = ADMIN_EMAIL,
    progress: Callable[[int], None] = lambda steps: None,
) -> SeedResult:
    """Create the plan's users and post its history through the ledger."""
    run = uuid4().hex[:12]  # keys unique per run, so a --force re-seed never replays
    system = ledger.ensure_system_accounts(session)
    currency = session.get(Account, system[ledger.EXTERNAL_CASH]).currency
    start = min((event.at for event in plan.events), default=utcnow()) - timedelta(days=1)
    accounts: dict[tuple[int, str], int] = {}
    users: list[int] = []
    for index, spec in enumerate(plan.customers):
        users.append(_create_customer(session, spec, index, currency, start, accounts))
        progress(1)
    admin_created = _ensure_admin(session, admin_email)
    progress(1)
    for number, event in enumerate(plan.events):
        # Entries are append-only and can't be backdated afterwards: date them as posted.
        _post(
            session, event, accounts, users, key=f"demo:{run}:{number}", clock=FixedClock(event.at)
        )
        progress(1)
    for payer, payee in sorted(plan.payees):
        session.add(
            Payee(
                owner_id=users[payer],
                account_id=accounts[(payee, CHECKING)],
                nickname=plan.customers[payee].full_name,
                created_at=start,
            )
        )
    for spec in plan.schedules:
        session.add(_scheduled_transfer(spec, accounts, users, utcnow().date()))
        progress(1)
    if (0, SAVINGS) in accounts:
        session.add(_savings_goal(session, accounts[(0, SAVINGS)], users[0], utcnow().date()))
    if users:
        merchant, category = DEMO_CATEGORY_RULE
        session.add(
            CategoryOverride(
                user_id=users[0],
                merchant_key=categories.merchant_key(merchant),
                merchant=merchant,
                category=category,
            )
        )
        session.add_all(_demo_notifications(session, plan, accounts, users))
    session.commit()
    pending = 0
    if plan.review is not None:
        limits = ledger.Limits(review_threshold=review_threshold, hold_days=hold_days)
        result = _post(
            session, plan.review, accounts, users, key=f"demo:{run}:review", limits=limits
        )
        pending = int(result.status == "pending")
    if len(plan.customers) > 1:
        # After everything else, so the payment is sized on the balance she ends up with.
        session.add_all(_first_customer_story(session, plan, accounts, users, utcnow().date()))
        session.commit()
    progress(1)
    return SeedResult(
        customer_emails=[spec.email for spec in plan.customers],
        admin_email=admin_email,
        admin_created=admin_created,
        transactions=len(plan.events) + (1 if plan.review else 0),
        pending_review=pending,
    )


def existing_emails(session: Session) -> set[str]:
    return set(session.scalars(select(User.email)))


# Writing it --------------------------------------------------------------------------
def _create_customer(session, spec, index, currency, start, accounts) -> int:
    user = create_user(
        session,
        full_name=spec.full_name,
        email=spec.email,
        password=DEMO_PASSWORD,
        currency=currency,
    )
    user.created_at = user.password_changed_at = start
    checking = session.scalar(select(Account).where(Account.owner_id == user.id))
    checking.opened_at = start
    accounts[(index, CHECKING)] = checking.id
    if spec.has_savings:
        savings = open_account(
            session,
            user.id,
            kind=AccountKind.SAVINGS.value,
            currency=currency,
            nickname="Rainy-day savings",
        )
        savings.opened_at = start
        accounts[(index, SAVINGS)] = savings.id
    session.commit()
    return user.id


def _ensure_admin(session: Session, email: str) -> bool:
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        return False
    create_admin(session, full_name=ADMIN_NAME, email=email, password=DEMO_PASSWORD)
    session.commit()
    return True


def _post(
    session, event: Event, accounts, users, *, key: str, limits=None, clock: Clock = SYSTEM_CLOCK
):
    account_id = accounts[(event.customer, event.account)]
    if event.counterparty is None:
        return ledger.post_adjustment(
            session,
            account_id=account_id,
            amount=event.amount,
            initiator_id=None,
            key=key,
            memo=event.memo,
            kind=event.kind,
            system_code=ledger.EXTERNAL_CASH,
            clock=clock,
        )
    return ledger.post_transfer(
        session,
        source_id=account_id,
        destination_id=accounts[event.counterparty],
        amount=event.amount,
        initiator_id=users[event.customer],
        key=key,
        memo=event.memo,
        owner_id=users[event.customer],
        limits=limits,
        clock=clock,
    )


def _scheduled_transfer(spec: ScheduleSpec, accounts, users, today: date) -> ScheduledTransfer:
    return ScheduledTransfer(
        owner_id=users[spec.customer],
        from_account_id=accounts[(spec.customer, CHECKING)],
        to_account_id=accounts[spec.to],
        amount=spec.amount,
        memo=spec.memo,
        frequency=Frequency.MONTHLY.value,
        day_of_month=spec.day_of_month,
        # From tomorrow: the seeded history already covers today.
        next_run_on=first_run(
            Frequency.MONTHLY.value, today + timedelta(days=1), spec.day_of_month
        ),
        status=ScheduleStatus.ACTIVE.value,
    )


OVERDRAWN_BY = 120_00
CAR_DAYS_AHEAD = 2
FAILED_DAYS_AGO = 9


def _first_customer_story(
    session: Session, plan: Plan, accounts, users, today: date
) -> list[ScheduledTransfer]:
    """The first customer's dashboard and Scheduled page tell issue 17's item 3 story:

    - a one-off payment for a used car in two days, $120.00 more than her checking will
      hold by then (what she has now, less her own schedules due before it), so "Coming
      up" lists it and the dashboard warns, in words, that it would take Everyday
      checking $120.00 below zero;
    - a transfer that failed nine days ago for want of funds, shown as failed (with the
      reason) on the Scheduled page, where she can resume or cancel it.
    """
    checking = accounts[(0, CHECKING)]
    friend = plan.customers[1].full_name.split()[0]
    to_friend = accounts[(1, CHECKING)]
    pay_day = today + timedelta(days=CAR_DAYS_AHEAD)
    available = session.scalar(select(Account.available_balance).where(Account.id == checking))
    due_before = sum(
        spec.amount
        for spec in plan.schedules
        if spec.customer == 0
        and first_run(Frequency.MONTHLY.value, today + timedelta(days=1), spec.day_of_month)
        <= pay_day
    )
    failed_on = today - timedelta(days=FAILED_DAYS_AGO)
    return [
        ScheduledTransfer(
            owner_id=users[0],
            from_account_id=checking,
            to_account_id=to_friend,
            amount=max(available - due_before, 0) + OVERDRAWN_BY,
            memo=f"Used car — {friend}",
            frequency=Frequency.ONCE.value,
            next_run_on=pay_day,
            status=ScheduleStatus.ACTIVE.value,
        ),
        ScheduledTransfer(
            owner_id=users[0],
            from_account_id=checking,
            to_account_id=to_friend,
            amount=85_00,
            memo=f"Concert tickets — {friend}",
            frequency=Frequency.ONCE.value,
            # As the runner leaves a refused occurrence: still on its date, failed, why.
            next_run_on=failed_on,
            status=ScheduleStatus.FAILED.value,
            last_error=ledger.InsufficientFunds.message,
            last_run_at=datetime.combine(failed_on, time(7, 0), tzinfo=UTC),
            created_at=datetime.combine(failed_on - timedelta(days=3), time(19, 30), tzinfo=UTC),
        ),
    ]


def _savings_goal(session: Session, account_id: int, owner_id: int, today: date) -> SavingsGoal:
    """The first customer's goal: the next $1,000 above four times what they have saved,
    a year from now, so the dashboard shows a partly filled bar and a monthly amount."""
    balance = session.get(Account, account_id).balance
    target = (max(balance, 0) * 4 // 100_000 + 1) * 100_000
    return SavingsGoal(
        account_id=account_id,
        owner_id=owner_id,
        target_amount=target,
        target_date=date(today.year + 1, today.month, 1),
    )


def _demo_notifications(session: Session, plan: Plan, accounts, users) -> list[Notification]:
    """The demo customer's inbox: the money other customers sent them lately (the last two
    unread, so the header shows a count on the first sign-in), and an older, read,
    security notice. Worded by the catalogue, dated when it happened."""
    demo = users[0]
    incoming = [
        event
        for event in plan.events
        if event.counterparty is not None
        and event.counterparty[0] == 0
        and event.customer != 0
        and event.amount > 0
    ][-4:]
    rows = []
    oldest = min((event.at for event in incoming), default=utcnow())
    rows.append(
        notices.new_device(demo, device="Firefox on Windows", now=oldest - timedelta(days=2))
    )
    for event in incoming:
        account = session.get(Account, accounts[event.counterparty])
        rows.append(
            notices.incoming_transfer(
                demo,
                amount=event.amount,
                currency=account.currency,
                sender=mask_name(plan.customers[event.customer].full_name),
                account=notices.account_label(account.display_name, account.masked_number),
                account_id=account.id,
                now=event.at,
            )
        )
    unread_from = max(len(rows) - 2, 0) if incoming else 0
    for n, row in enumerate(rows):
        row.email_pending = False  # an inbox's history, not news: never emailed
        if n < unread_from:
            row.read_at = row.created_at + timedelta(hours=3)
    return rows
