"""Proof that the books balance: every ledger invariant, checked by set-based SQL.

`verify_ledger` never trusts the code that wrote the rows. Each check is one aggregate
query (GROUP BY / anti-join) the database answers in a scan or two, so it stays fast on
millions of entries; only the breaches come back to Python, at most `limit` per check.
Read-only: it changes nothing and may run against production at any time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Select, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from banking.core.models import (
    Account,
    AccountKind,
    AccountStatus,
    Entry,
    Hold,
    JournalTransaction,
    TransactionKind,
    TransactionStatus,
)

POSTED = TransactionStatus.POSTED.value
PENDING = TransactionStatus.PENDING.value
KNOWN_STATUSES = [status.value for status in TransactionStatus]
SYSTEM = AccountKind.SYSTEM.value
CLOSED = AccountStatus.CLOSED.value
REVERSAL = TransactionKind.REVERSAL.value


@dataclass(frozen=True)
class Breach:
    """One broken invariant on one row, phrased for the operator who has to fix it."""

    check: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"check": self.check, "message": self.message}


@dataclass
class IntegrityReport:
    breaches: list[Breach] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    truncated: dict[str, bool] = field(default_factory=dict)  # check -> more than listed
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.breaches

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "checks": self.checks,
            "totals": self.totals,
            "breaches": [breach.to_dict() for breach in self.breaches],
            "truncated": sorted(name for name, more in self.truncated.items() if more),
        }

    def format(self) -> str:
        """The human-readable report `flask ledger verify` prints."""
        totals = ", ".join(f"{name}={value}" for name, value in self.totals.items())
        lines = [f"Ledger verification: {len(self.checks)} checks ({totals})"]
        if self.ok:
            lines.append("OK: every invariant holds.")
            return "\n".join(lines)
        lines.append(f"FAILED: {len(self.breaches)} breach(es) listed")
        for breach in self.breaches:
            lines.append(f"  [{breach.check}] {breach.message}")
        for name, more in sorted(self.truncated.items()):
            if more:
                lines.append(f"  [{name}] ... and more (only the first ones are listed)")
        return "\n".join(lines)

    __str__ = format


Check = Callable[[Session, int], tuple[list[str], bool]]


def verify_ledger(session: Session, *, limit: int = 50, deep: bool = False) -> IntegrityReport:
    """Run every invariant check; `deep` also replays each entry's running balance.

    The deep check sorts every entry per account (a window function), which costs more
    than the others on a large journal, so it is opt-in (`flask ledger verify --deep`).
    """
    report = IntegrityReport()
    checks: list[tuple[str, Check]] = [
        ("transaction_balance", _transactions_balance),
        ("transaction_headline", _entries_match_headline),
        ("grand_total", _grand_total_is_zero),
        ("account_balance", _account_balances),
        ("available_balance", _available_balances),
        ("overdraft", _within_overdraft),
        ("reversal", _reversals),
        ("hold", _holds),
        ("closed_account", _closed_accounts),
        ("currency", _currencies),
    ]
    if deep:
        checks.append(("running_balance", _running_balances))
    for name, check in checks:
        messages, more = check(session, limit)
        report.checks.append(name)
        report.breaches.extend(Breach(name, message) for message in messages)
        report.truncated[name] = more
    report.totals = {
        "accounts": session.scalar(select(func.count()).select_from(Account)) or 0,
        "transactions": session.scalar(select(func.count()).select_from(JournalTransaction)) or 0,
        "entries": session.scalar(select(func.count()).select_from(Entry)) or 0,
    }
    session.rollback()  # read-only: end the transaction (and SQLite's write lock) promptly
    return report


def _rows(session: Session, query: Select, limit: int) -> tuple[list, bool]:
    rows = session.execute(query.limit(limit + 1)).all()
    return rows[:limit], len(rows) > limit


# The checks: each returns (messages, more-than-listed) ------------------------------
def _transactions_balance(session: Session, limit: int) -> tuple[list[str], bool]:
    """Entries of a transaction sum to zero; posted have >= 2, the rest none."""
    per_txn = (
        select(
            Entry.transaction_id.label("transaction_id"),
            func.sum(Entry.amount).label("total"),
            func.count(Entry.id).label("n"),
        )
        .group_by(Entry.transaction_id)
        .subquery()
    )
    total = func.coalesce(per_txn.c.total, 0)
    count = func.coalesce(per_txn.c.n, 0)
    query = (
        select(JournalTransaction.id, JournalTransaction.status, total, count)
        .outerjoin(per_txn, per_txn.c.transaction_id == JournalTransaction.id)
        .where(
            or_(
                total != 0,
                and_(JournalTransaction.status == POSTED, count < 2),
                and_(JournalTransaction.status != POSTED, count > 0),
                JournalTransaction.status.not_in(KNOWN_STATUSES),
            )
        )
        .order_by(JournalTransaction.id)
    )
    rows, more = _rows(session, query, limit)
    messages = []
    for txn_id, status, entry_sum, entry_count in rows:
        problems = []
        if status not in KNOWN_STATUSES:
            problems.append(f"has unknown status {status!r}")
        if entry_sum != 0:
            problems.append(f"entries sum to {entry_sum}, not 0")
        if status == POSTED and entry_count < 2:
            problems.append(
                f"is posted with {entry_count} entr{'y' if entry_count == 1 else 'ies'}"
            )
        if status != POSTED and entry_count > 0:
            problems.append(f"is {status} but has {entry_count} entries")
        messages.append(f"transaction #{txn_id} " + "; ".join(problems))
    return messages, more


def _entries_match_headline(session: Session, limit: int) -> tuple[list[str], bool]:
    """A posted transaction's entries debit its source and credit its destination by amount."""
    txn = JournalTransaction
    per_txn = (
        select(
            Entry.transaction_id.label("transaction_id"),
            func.sum(
                case((Entry.account_id == txn.source_account_id, Entry.amount), else_=0)
            ).label("source_side"),
            func.sum(
                case((Entry.account_id == txn.destination_account_id, Entry.amount), else_=0)
            ).label("destination_side"),
        )
        .join(txn, txn.id == Entry.transaction_id)
        .where(txn.status == POSTED)
        .group_by(Entry.transaction_id)
        .subquery()
    )
    query = (
        select(txn.id, txn.amount, per_txn.c.source_side, per_txn.c.destination_side)
        .join(per_txn, per_txn.c.transaction_id == txn.id)
        .where(or_(per_txn.c.source_side != -txn.amount, per_txn.c.destination_side != txn.amount))
        .order_by(txn.id)
    )
    rows, more = _rows(session, query, limit)
    return [
        f"transaction #{txn_id} of {amount} moved {-source} out of its source and "
        f"{destination} into its destination"
        for txn_id, amount, source, destination in rows
    ], more


def _grand_total_is_zero(session: Session, limit: int) -> tuple[list[str], bool]:
    """Money only moves inside the bank's books: all entries, and each currency's balances
    (customers' and that currency's system accounts together), sum to zero.

    Per currency because a EUR surplus could otherwise hide a USD shortfall of the same
    number of cents. Together with `account_balance` (balance = its entries) this also
    proves each currency's entries sum to zero, without joining every entry to its account.
    """
    messages = []
    entries_total = session.scalar(select(func.coalesce(func.sum(Entry.amount), 0)))
    if entries_total != 0:
        messages.append(f"all entries sum to {entries_total}, not 0")
    per_currency = session.execute(
        select(Account.currency, func.sum(Account.balance))
        .group_by(Account.currency)
        .having(func.sum(Account.balance) != 0)
        .order_by(Account.currency)
    ).all()
    messages += [
        f"{currency} account balances sum to {total}, not 0" for currency, total in per_currency
    ]
    return messages, False


def _account_balances(session: Session, limit: int) -> tuple[list[str], bool]:
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
    rows, more = _rows(session, query, limit)
    messages = []
    for account_id, balance, entry_sum, last_after, last_id in rows:
        problems = []
        if balance != entry_sum:
            problems.append(f"sum of entries is {entry_sum}")
        if last_id is not None and last_after != balance:
            problems.append(f"latest entry #{last_id} says balance_after {last_after}")
        messages.append(f"account #{account_id} balance is {balance} but " + " and ".join(problems))
    return messages, more


def _available_balances(session: Session, limit: int) -> tuple[list[str], bool]:
    """Available = balance - money reserved by active holds."""
    held = _active_holds()
    reserved = func.coalesce(held.c.total, 0)
    query = (
        select(Account.id, Account.balance, Account.available_balance, reserved)
        .outerjoin(held, held.c.account_id == Account.id)
        .where(Account.available_balance != Account.balance - reserved)
        .order_by(Account.id)
    )
    rows, more = _rows(session, query, limit)
    return [
        f"account #{account_id} available balance is {available} but balance {balance} "
        f"minus active holds {holds} is {balance - holds}"
        for account_id, balance, available, holds in rows
    ], more


def _active_holds():
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


def _within_overdraft(session: Session, limit: int) -> tuple[list[str], bool]:
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
    rows, more = _rows(session, query, limit)
    return [
        f"account #{account_id} balance {balance} / available {available} is below "
        f"its overdraft limit of -{overdraft}"
        for account_id, balance, available, overdraft in rows
    ], more


def _reversals(session: Session, limit: int) -> tuple[list[str], bool]:
    """A reversal mirrors one posted, non-reversal transaction, and only once."""
    reversal = JournalTransaction
    original = aliased(JournalTransaction)
    broken = (
        select(
            reversal.id,
            reversal.kind,
            reversal.reverses_id,
            original.id,
            original.kind,
            original.status,
            case(
                (
                    and_(
                        reversal.source_account_id == original.destination_account_id,
                        reversal.destination_account_id == original.source_account_id,
                        reversal.amount == original.amount,
                    ),
                    literal(1),
                ),
                else_=literal(0),
            ),
        )
        .outerjoin(original, original.id == reversal.reverses_id)
        .where(
            or_(
                and_(reversal.kind == REVERSAL, reversal.reverses_id.is_(None)),
                and_(
                    reversal.reverses_id.is_not(None),
                    or_(
                        reversal.kind != REVERSAL,
                        original.id.is_(None),
                        original.kind == REVERSAL,
                        original.status != POSTED,
                        reversal.source_account_id != original.destination_account_id,
                        reversal.destination_account_id != original.source_account_id,
                        reversal.amount != original.amount,
                    ),
                ),
            )
        )
        .order_by(reversal.id)
    )
    rows, more = _rows(session, broken, limit)
    messages = []
    for rev_id, rev_kind, target, orig_id, orig_kind, orig_status, mirrors in rows:
        if target is None:
            messages.append(f"reversal #{rev_id} does not say which transaction it reverses")
        elif rev_kind != REVERSAL:
            messages.append(
                f"transaction #{rev_id} of kind {rev_kind!r} claims to reverse #{target}"
            )
        elif orig_id is None:
            messages.append(f"reversal #{rev_id} points at missing transaction #{target}")
        elif orig_kind == REVERSAL:
            messages.append(f"reversal #{rev_id} reverses another reversal #{target}")
        elif orig_status != POSTED:
            messages.append(f"reversal #{rev_id} reverses #{target}, which is {orig_status}")
        elif not mirrors:
            messages.append(f"reversal #{rev_id} is not the mirror image of #{target}")
    twice = (
        select(JournalTransaction.reverses_id, func.count())
        .where(JournalTransaction.reverses_id.is_not(None))
        .group_by(JournalTransaction.reverses_id)
        .having(func.count() > 1)
        .order_by(JournalTransaction.reverses_id)
    )
    rows, more_twice = _rows(session, twice, limit)
    messages += [f"transaction #{target} is reversed {count} times" for target, count in rows]
    return messages, more or more_twice


def _holds(session: Session, limit: int) -> tuple[list[str], bool]:
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
    rows, more = _rows(session, wrong_hold, limit)
    messages = []
    for hold_id, txn_id, status, account_id, hold_amount, txn_amount in rows:
        messages.append(
            f"hold #{hold_id} on account #{account_id} for {hold_amount} does not match "
            f"transaction #{txn_id} ({status}, amount {txn_amount})"
        )
    unheld = (
        select(txn.id)
        .outerjoin(Hold, and_(Hold.transaction_id == txn.id, Hold.active.is_(True)))
        .where(txn.status == PENDING, Hold.id.is_(None))
        .order_by(txn.id)
    )
    rows, more_unheld = _rows(session, unheld, limit)
    messages += [f"pending transaction #{txn_id} has no active hold" for (txn_id,) in rows]
    return messages, more or more_unheld


def _closed_accounts(session: Session, limit: int) -> tuple[list[str], bool]:
    """A closed account holds no money and reserves none: its owner can no longer move it.

    Closing is refused while money or a hold remains, under the row lock; a breach here
    means a close raced a posting, or someone changed a status behind the ledger's back.
    """
    held = _active_holds()
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
    rows, more = _rows(session, query, limit)
    messages = []
    for account_id, balance, available, hold_count in rows:
        problems = []
        if balance != 0 or available != 0:
            problems.append(f"balance {balance} / available {available}")
        if hold_count:
            problems.append(f"{hold_count} active hold(s)")
        messages.append(f"closed account #{account_id} still has " + " and ".join(problems))
    return messages, more


def _currencies(session: Session, limit: int) -> tuple[list[str], bool]:
    """A transaction moves one currency: its entries' accounts all share it."""
    # MIN <> MAX rather than COUNT(DISTINCT): same answer, but a hash aggregate, no sort.
    mixed = (
        select(Entry.transaction_id, func.min(Account.currency), func.max(Account.currency))
        .join(Account, Account.id == Entry.account_id)
        .group_by(Entry.transaction_id)
        .having(func.min(Account.currency) != func.max(Account.currency))
        .order_by(Entry.transaction_id)
    )
    rows, more = _rows(session, mixed, limit)
    source, destination = aliased(Account), aliased(Account)
    headline = (
        select(JournalTransaction.id, source.currency, destination.currency)
        .join(source, source.id == JournalTransaction.source_account_id)
        .join(destination, destination.id == JournalTransaction.destination_account_id)
        .where(source.currency != destination.currency)
        .order_by(JournalTransaction.id)
    )
    head_rows, more_head = _rows(session, headline, limit)
    messages = [
        f"transaction #{txn_id} has entries in several currencies ({low}, {high})"
        for txn_id, low, high in rows
    ]
    messages += [
        f"transaction #{txn_id} moves from a {src} account to a {dst} account"
        for txn_id, src, dst in head_rows
    ]
    return messages, more or more_head


def _running_balances(session: Session, limit: int) -> tuple[list[str], bool]:
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
    rows, more = _rows(session, query, limit)
    return [
        f"entry #{entry_id} on account #{account_id} says balance_after {after} but the "
        f"running sum is {total}"
        for entry_id, account_id, after, total in rows
    ], more
