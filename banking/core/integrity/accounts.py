"""Checks on accounts: balances equal their entries, holds reserve what they say, limits hold.

Each check is one aggregate query the database answers in a scan or two; only the
breaches come back, at most `limit` per check.
"""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from banking.core.integrity.report import listed
from banking.core.models import (
    Account,
    AccountKind,
    AccountStatus,
    Entry,
    Hold,
    JournalTransaction,
    TransactionStatus,
)

PENDING = TransactionStatus.PENDING.value
SYSTEM = AccountKind.SYSTEM.value
CLOSED = AccountStatus.CLOSED.value


def account_balances(session: Session, limit: int) -> tuple[list[str], bool]:
    """Each balance equals the sum of its entries and its latest entry's balance_after."""
    per_account = (
        select(
            Entry.account_id.label("account_id"),
            func.sum(Entry.amount).label("total"),
            func.max(Entry.id).label("last_id"),
        )
        .group_by(Entry.account_id)
        .subquery()
    )
    last = aliased(Entry)
    total = func.coalesce(per_account.c.total, 0)
    query = (
        select(Account.id, Account.balance, total, last.balance_after, last.id)
        .outerjoin(per_account, per_account.c.account_id == Account.id)
        .outerjoin(last, last.id == per_account.c.last_id)
        .where(
            or_(
                Account.balance != total,
                and_(last.id.is_not(None), last.balance_after != Account.balance),
            )
        )
        .order_by(Account.id)
    )

    def describe(account_id, balance, entry_sum, last_after, last_id) -> str:
        problems = []
        if balance != entry_sum:
            problems.append(f"sum of entries is {entry_sum}")
        if last_id is not None and last_after != balance:
            problems.append(f"latest entry #{last_id} says balance_after {last_after}")
        return f"account #{account_id} balance is {balance} but " + " and ".join(problems)

    return listed(session, query, limit, describe)


def available_balances(session: Session, limit: int) -> tuple[list[str], bool]:
    """Available = balance - money reserved by active holds."""
    held = active_holds()
    reserved = func.coalesce(held.c.total, 0)
    query = (
        select(Account.id, Account.balance, Account.available_balance, reserved)
        .outerjoin(held, held.c.account_id == Account.id)
        .where(Account.available_balance != Account.balance - reserved)
        .order_by(Account.id)
    )

    def describe(account_id, balance, available, holds) -> str:
        return (
            f"account #{account_id} available balance is {available} but balance {balance} "
            f"minus active holds {holds} is {balance - holds}"
        )

    return listed(session, query, limit, describe)


def active_holds():
    """Per account with active holds: how many (`n`) and how much they reserve (`total`),
    as a subquery to outer-join to accounts (no row: nothing held)."""
    return (
        select(
            Hold.account_id.label("account_id"),
            func.count(Hold.id).label("n"),
            func.sum(Hold.amount).label("total"),
        )
        .where(Hold.active.is_(True))
        .group_by(Hold.account_id)
        .subquery()
    )


def within_overdraft(session: Session, limit: int) -> tuple[list[str], bool]:
    """No customer account below its overdraft limit (system accounts mirror the outside)."""
    query = (
        select(Account.id, Account.balance, Account.available_balance, Account.overdraft_limit)
        .where(
            Account.kind != SYSTEM,
            or_(
                Account.overdraft_limit < 0,
                Account.balance < -Account.overdraft_limit,
                Account.available_balance < -Account.overdraft_limit,
            ),
        )
        .order_by(Account.id)
    )

    def describe(account_id, balance, available, overdraft) -> str:
        return (
            f"account #{account_id} balance {balance} / available {available} is below "
            f"its overdraft limit of -{overdraft}"
        )

    return listed(session, query, limit, describe)


def holds(session: Session, limit: int) -> tuple[list[str], bool]:
    """Active holds belong to pending transactions, and every pending one has exactly one."""
    txn = JournalTransaction
    wrong_hold = (
        select(Hold.id, Hold.transaction_id, txn.status, Hold.account_id, Hold.amount, txn.amount)
        .join(txn, txn.id == Hold.transaction_id)
        .where(
            or_(
                and_(Hold.active.is_(True), txn.status != PENDING),
                and_(Hold.active.is_(False), txn.status == PENDING),
                Hold.account_id != txn.source_account_id,
                Hold.amount != txn.amount,
            )
        )
        .order_by(Hold.id)
    )

    def describe(hold_id, txn_id, status, account_id, hold_amount, txn_amount) -> str:
        return (
            f"hold #{hold_id} on account #{account_id} for {hold_amount} does not match "
            f"transaction #{txn_id} ({status}, amount {txn_amount})"
        )

    messages, more = listed(session, wrong_hold, limit, describe)
    unheld = (
        select(txn.id)
        .outerjoin(Hold, and_(Hold.transaction_id == txn.id, Hold.active.is_(True)))
        .where(txn.status == PENDING, Hold.id.is_(None))
        .order_by(txn.id)
    )
    unheld_messages, more_unheld = listed(
        session, unheld, limit, lambda txn_id: f"pending transaction #{txn_id} has no active hold"
    )
    return messages + unheld_messages, more or more_unheld


def closed_accounts(session: Session, limit: int) -> tuple[list[str], bool]:
    """A closed account holds no money and reserves none: its owner can no longer move it.

    Closing is refused while money or a hold remains, under the row lock; a breach here
    means a close raced a posting, or someone changed a status behind the ledger's back.
    """

    def describe(account_id, balance, available, hold_count) -> str:
        problems = []
        if balance != 0 or available != 0:
            problems.append(f"balance {balance} / available {available}")
        if hold_count:
            problems.append(f"{hold_count} active hold(s)")
        return f"closed account #{account_id} still has " + " and ".join(problems)

    held = active_holds()
    holds = func.coalesce(held.c.n, 0)
    query = (
        select(Account.id, Account.balance, Account.available_balance, holds)
        .outerjoin(held, held.c.account_id == Account.id)
        .where(
            Account.status == CLOSED,
            or_(Account.balance != 0, Account.available_balance != 0, holds > 0),
        )
        .order_by(Account.id)
    )
    return listed(session, query, limit, describe)


def running_balances(session: Session, limit: int) -> tuple[list[str], bool]:
    """Every entry's balance_after is the running sum of its account's entries so far."""
    running = select(
        Entry.id.label("entry_id"),
        Entry.account_id.label("account_id"),
        Entry.balance_after.label("balance_after"),
        func.sum(Entry.amount)
        .over(partition_by=Entry.account_id, order_by=Entry.id)
        .label("running"),
    ).subquery()
    query = (
        select(running.c.entry_id, running.c.account_id, running.c.balance_after, running.c.running)
        .where(running.c.balance_after != running.c.running)
        .order_by(running.c.entry_id)
    )

    def describe(entry_id, account_id, after, total) -> str:
        return (
            f"entry #{entry_id} on account #{account_id} says balance_after {after} but the "
            f"running sum is {total}"
        )

    return listed(session, query, limit, describe)
