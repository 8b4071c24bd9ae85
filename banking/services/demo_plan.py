"""The demo's plan: who the customers are and what happened to their money, drawn from a seed.

Pure (no database, no clock): `build_plan` draws customers and their salaries, rent, card
spending, savings transfers and transfers between customers from `random.Random(seed)`,
then replays them in time order against simulated balances, dropping any that would
overdraw. Same seed, same plan; `banking.services.demo.apply_plan` writes it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from banking.core.models import TransactionKind

EMAIL_DOMAIN = "example.com"
DAYS_PER_MONTH = 30
# Past months whose statements the demo issues (the archive shows them on first sign-in).
DEMO_STATEMENT_MONTHS = 2

FIRST_NAMES = (
    "Alice", "Bob", "Carol", "David", "Erin", "Frank", "Grace", "Hector", "Ivy", "Jamal",
    "Keiko", "Liam", "Maya", "Nikolai", "Olivia", "Priya", "Quentin", "Rosa", "Samir", "Tara",
)  # fmt: skip
LAST_NAMES = (
    "Anderson", "Baker", "Chen", "Dubois", "Evans", "Fischer", "Garcia", "Haddad", "Ito",
    "Johansson", "Kowalski", "Lopez", "Murphy", "Nakamura", "Okafor", "Patel", "Rossi",
    "Schmidt", "Tanaka", "Walsh",
)  # fmt: skip
EMPLOYERS = (
    "Northwind Traders", "Contoso Ltd", "Globex Corp", "Initech", "Umbrella Health",
    "Stark Logistics", "Wayne Foods", "Acme Tools",
)  # fmt: skip
LANDLORDS = ("Maple Street Apartments", "Harbor View Rentals", "Oak Lane Properties")
MERCHANTS = (
    ("Corner Grocery", 1500, 9500),
    ("FreshMart", 2500, 14000),
    ("Blue Bottle Coffee", 350, 1200),
    ("City Transit", 275, 5000),
    ("Shell Fuel", 3000, 7500),
    ("Pharmacy Plus", 800, 4500),
    ("Bookworm Books", 1200, 4800),
    ("Streamly", 1599, 1599),
    ("Pizza Palace", 1800, 4200),
    ("Hardware Depot", 900, 12000),
)  # (name, min cents, max cents)
# The first customer's (alice@) own category rule: the default rules put books under
# Shopping (banking/core/categories); she keeps them under Entertainment.
DEMO_CATEGORY_RULE = ("Bookworm Books", "entertainment")
FRIEND_MEMOS = ("Dinner", "Concert tickets", "Groceries split", "Birthday gift", "Taxi share")

CHECKING = "checking"
SAVINGS = "savings"


@dataclass(frozen=True)
class CustomerSpec:
    full_name: str
    email: str
    has_savings: bool
    employer: str
    salary: int  # monthly, minor units
    landlord: str
    rent: int
    saving: int  # monthly checking -> savings


@dataclass(frozen=True)
class Event:
    """One movement. `counterparty` is (customer index, account) for a transfer, else None
    (money from or to outside the bank: amount > 0 deposit, amount < 0 withdrawal)."""

    at: datetime
    customer: int
    account: str
    amount: int
    memo: str
    kind: str
    counterparty: tuple[int, str] | None = None


@dataclass(frozen=True)
class ScheduleSpec:
    customer: int
    to: tuple[int, str]
    amount: int
    memo: str
    day_of_month: int


@dataclass
class Plan:
    customers: list[CustomerSpec]
    events: list[Event]
    schedules: list[ScheduleSpec]
    review: Event | None  # a transfer above the review threshold, posted now and held
    payees: set[tuple[int, int]] = field(default_factory=set)  # (payer, payee) customers

    @property
    def steps(self) -> int:
        """Units of work for a progress bar: users, events, schedules, the review and the
        past months of statements."""
        fixed = 1 + 1 + DEMO_STATEMENT_MONTHS  # the admin, the review, the months
        return len(self.customers) + len(self.events) + len(self.schedules) + fixed


def build_plan(
    *,
    customers: int,
    months: int,
    seed: int,
    now: datetime,
    review_threshold: int,
    taken_emails: set[str] | frozenset[str] = frozenset(),
) -> Plan:
    """Draw the whole demo from `seed`: same seed, same customers and amounts."""
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    specs = [_customer(rng, index, taken_emails) for index in range(customers)]
    # Midnight, so events land at believable times of day (08:00-21:00), all before today.
    start = (now - timedelta(days=DAYS_PER_MONTH * months)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    raw: list[Event] = []
    for index in range(len(specs)):
        opening = rng.randrange(1000, 4000) * 100
        at = start + timedelta(hours=7)  # before anything else that first day
        raw.append(
            Event(at, index, CHECKING, opening, "Opening deposit", TransactionKind.DEPOSIT.value)
        )
        for month in range(months):
            raw.extend(_month(rng, specs, index, start + timedelta(days=month * DAYS_PER_MONTH)))
    raw.sort(key=lambda event: event.at)
    events, balances = _feasible(raw, len(specs))
    payees = {(e.customer, e.counterparty[0]) for e in events if _between_customers(e)}
    schedules = _schedules(rng, specs)
    payees |= {(s.customer, s.to[0]) for s in schedules if s.to[0] != s.customer}
    review = None
    if len(specs) >= 2:
        review, top_up = _review(specs, balances, review_threshold, now)
        events.extend(top_up)
    return Plan(specs, events, schedules, review, payees)


# Drawing the plan --------------------------------------------------------------------
def _customer(rng: random.Random, index: int, taken: set[str] | frozenset[str]) -> CustomerSpec:
    first = FIRST_NAMES[index % len(FIRST_NAMES)]
    last = LAST_NAMES[rng.randrange(len(LAST_NAMES))]
    round_ = index // len(FIRST_NAMES)
    email = _free_email(first.lower() + (str(round_ + 1) if round_ else ""), taken)
    salary = rng.randrange(28, 95) * 10_000  # $2,800 - $9,400 a month
    return CustomerSpec(
        full_name=f"{first} {last}",
        email=email,
        # The first customer (alice@, the first sign-in printed) always saves, so the demo
        # shows a savings account with its goal (issue 17, item 7). Drawn all the same:
        # the other customers' draws stay what they were.
        has_savings=rng.random() < 0.7 or index == 0,
        employer=rng.choice(EMPLOYERS),
        salary=salary,
        landlord=rng.choice(LANDLORDS),
        rent=salary * rng.randrange(22, 36) // 100 // 100 * 100,  # whole dollars
        saving=salary * rng.randrange(5, 15) // 100 // 1000 * 1000,  # whole tens
    )


def _free_email(local: str, taken: set[str] | frozenset[str]) -> str:
    email, suffix = f"{local}@{EMAIL_DOMAIN}", 1
    while email in taken:
        suffix += 1
        email = f"{local}.{suffix}@{EMAIL_DOMAIN}"
    return email


def _month(rng: random.Random, specs: list[CustomerSpec], me: int, start: datetime) -> list:
    """One customer's month from `start`: salary, rent, saving, card spending, friends."""
    spec = specs[me]
    out: list[Event] = []

    def add(day: int, amount: int, memo: str, kind: TransactionKind, to=None) -> None:
        # A believable time of day (08:00-21:00), minute resolution.
        at = start + timedelta(days=day, minutes=rng.randrange(8 * 60, 21 * 60))
        out.append(Event(at, me, CHECKING, amount, memo, kind.value, to))

    add(0, spec.salary, f"Salary — {spec.employer}", TransactionKind.DEPOSIT)
    add(2, -spec.rent, f"Rent — {spec.landlord}", TransactionKind.WITHDRAWAL)
    if spec.has_savings and spec.saving:
        add(4, spec.saving, "Monthly savings", TransactionKind.TRANSFER, (me, SAVINGS))
    for _ in range(rng.randrange(8, 16)):
        name, low, high = rng.choice(MERCHANTS)
        amount = rng.randrange(low, high + 1)
        add(rng.randrange(DAYS_PER_MONTH), -amount, f"Card purchase — {name}",
            TransactionKind.WITHDRAWAL)  # fmt: skip
    friends = [i for i in range(len(specs)) if i != me]
    for _ in range(rng.randrange(0, 3) if friends else 0):
        friend, amount = rng.choice(friends), rng.randrange(10, 121) * 100
        add(rng.randrange(DAYS_PER_MONTH), amount, rng.choice(FRIEND_MEMOS),
            TransactionKind.TRANSFER, (friend, CHECKING))  # fmt: skip
    return out


def _feasible(raw: list[Event], count: int) -> tuple[list[Event], dict[tuple[int, str], int]]:
    """Keep the events that don't overdraw, replaying them in time order."""
    balances = {(i, name): 0 for i in range(count) for name in (CHECKING, SAVINGS)}
    kept = []
    for event in raw:
        source = (event.customer, event.account)
        outgoing = event.counterparty is not None or event.amount < 0
        if outgoing and balances[source] < abs(event.amount):
            continue
        balances[source] += event.amount if event.counterparty is None else -event.amount
        if event.counterparty is not None:
            balances[event.counterparty] += event.amount
        kept.append(event)
    return kept, balances


def _between_customers(event: Event) -> bool:
    return event.counterparty is not None and event.counterparty[0] != event.customer


def _schedules(rng: random.Random, specs: list[CustomerSpec]) -> list[ScheduleSpec]:
    out = []
    for index, spec in enumerate(specs):
        if spec.has_savings and spec.saving:
            out.append(
                ScheduleSpec(
                    index, (index, SAVINGS), spec.saving, "Monthly savings", rng.randrange(1, 29)
                )
            )
        elif len(specs) > 1 and rng.random() < 0.5:
            friend = (index + 1) % len(specs)
            out.append(
                ScheduleSpec(
                    index,
                    (friend, CHECKING),
                    rng.randrange(20, 80) * 100,
                    "Shared subscription",
                    rng.randrange(1, 29),
                )
            )
    return out


def _review(specs, balances, threshold: int, now: datetime) -> tuple[Event, list[Event]]:
    """The richest customer's transfer just over the review threshold (held for an admin),
    plus, if they can't afford it, the bonus deposit an hour earlier that makes sure they can."""
    richest = max(range(len(specs)), key=lambda i: balances[(i, CHECKING)])
    amount = threshold + 100_00
    top_up = []
    shortfall = amount - balances[(richest, CHECKING)]
    if shortfall > 0:
        employer = specs[richest].employer
        top_up.append(
            Event(
                now - timedelta(hours=1),
                richest,
                CHECKING,
                shortfall + 500_00,
                f"Annual bonus — {employer}",
                TransactionKind.DEPOSIT.value,
            )
        )
    friend = (richest + 1) % len(specs)
    review = Event(
        now,
        richest,
        CHECKING,
        amount,
        "Deposit for a used car",
        TransactionKind.TRANSFER.value,
        (friend, CHECKING),
    )
    return review, top_up
