"""Checks on the journal itself: transactions balance, match their headline, reverse once.

Each check is one aggregate query (GROUP BY / anti-join) the database answers in a scan
or two; only the breaches come back, at most `limit` per check.
"""

from __future__ import annotations

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from banking.core.integrity.report import listed
from banking.core.models import (
    Account,
    Entry,
    JournalTransaction,
    TransactionKind,
    TransactionStatus,
)

POSTED = TransactionStatus.POSTED.value
KNOWN_STATUSES = [status.value for status in TransactionStatus]
REVERSAL = TransactionKind.REVERSAL.value


def transactions_balance(session: Session, limit: int) -> tuple[list[str], bool]:
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

    def describe(txn_id, status, entry_sum, entry_count) -> str:
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
        return f"transaction #{txn_id} " + "; ".join(problems)

    return listed(session, query, limit, describe)


def entries_match_headline(session: Session, limit: int) -> tuple[list[str], bool]:
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

    def describe(txn_id, amount, source, destination) -> str:
        return (
            f"transaction #{txn_id} of {amount} moved {-source} out of its source and "
            f"{destination} into its destination"
        )

    return listed(session, query, limit, describe)


def grand_total_is_zero(session: Session, limit: int) -> tuple[list[str], bool]:
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


def reversals(session: Session, limit: int) -> tuple[list[str], bool]:
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

    def describe(rev_id, rev_kind, target, orig_id, orig_kind, orig_status, mirrors) -> str:
        if target is None:
            return f"reversal #{rev_id} does not say which transaction it reverses"
        if rev_kind != REVERSAL:
            return f"transaction #{rev_id} of kind {rev_kind!r} claims to reverse #{target}"
        if orig_id is None:
            return f"reversal #{rev_id} points at missing transaction #{target}"
        if orig_kind == REVERSAL:
            return f"reversal #{rev_id} reverses another reversal #{target}"
        if orig_status != POSTED:
            return f"reversal #{rev_id} reverses #{target}, which is {orig_status}"
        # The query returns only broken rows: what is left here does not mirror its target.
        return f"reversal #{rev_id} is not the mirror image of #{target}"

    messages, more = listed(session, broken, limit, describe)
    twice = (
        select(JournalTransaction.reverses_id, func.count())
        .where(JournalTransaction.reverses_id.is_not(None))
        .group_by(JournalTransaction.reverses_id)
        .having(func.count() > 1)
        .order_by(JournalTransaction.reverses_id)
    )
    twice_messages, more_twice = listed(
        session, twice, limit, lambda target, n: f"transaction #{target} is reversed {n} times"
    )
    return messages + twice_messages, more or more_twice


def currencies(session: Session, limit: int) -> tuple[list[str], bool]:
    """A transaction moves one currency: its entries' accounts all share it."""
    # MIN <> MAX rather than COUNT(DISTINCT): same answer, but a hash aggregate, no sort.
    mixed = (
        select(Entry.transaction_id, func.min(Account.currency), func.max(Account.currency))
        .join(Account, Account.id == Entry.account_id)
        .group_by(Entry.transaction_id)
        .having(func.min(Account.currency) != func.max(Account.currency))
        .order_by(Entry.transaction_id)
    )

    def mixed_entries(txn_id, low, high) -> str:
        return f"transaction #{txn_id} has entries in several currencies ({low}, {high})"

    messages, more = listed(session, mixed, limit, mixed_entries)
    source, destination = aliased(Account), aliased(Account)
    headline = (
        select(JournalTransaction.id, source.currency, destination.currency)
        .join(source, source.id == JournalTransaction.source_account_id)
        .join(destination, destination.id == JournalTransaction.destination_account_id)
        .where(source.currency != destination.currency)
        .order_by(JournalTransaction.id)
    )

    def mixed_headline(txn_id, src, dst) -> str:
        return f"transaction #{txn_id} moves from a {src} account to a {dst} account"

    head_messages, more_head = listed(session, headline, limit, mixed_headline)
    return messages + head_messages, more or more_head


def sent_totals(session: Session, limit: int) -> tuple[list[str], bool]:
    """Each customer transfer's `sent_total` is its initiator's running sum, in id order
    (the order the postings took the user lock), and their stamps never go back in that
    order: the two facts the daily limit's arithmetic stands on (`ledger.sent`)."""
    txn = JournalTransaction
    order = {"partition_by": txn.initiator_id, "order_by": txn.id}
    running = (
        select(
            txn.id.label("txn_id"),
            txn.initiator_id.label("initiator_id"),
            txn.sent_total.label("sent_total"),
            func.sum(txn.amount).over(**order).label("running"),
            txn.created_at.label("created_at"),
            func.lag(txn.created_at).over(**order).label("previous_at"),
        )
        .where(txn.kind == TransactionKind.TRANSFER.value, txn.initiator_id.is_not(None))
        .subquery()
    )
    query = (
        select(
            running.c.txn_id,
            running.c.initiator_id,
            running.c.sent_total,
            running.c.running,
            running.c.created_at < running.c.previous_at,
        )
        .where(
            or_(
                running.c.sent_total.is_(None),
                running.c.sent_total != running.c.running,
                running.c.created_at < running.c.previous_at,
            )
        )
        .order_by(running.c.txn_id)
    )

    def describe(txn_id, initiator_id, total, expected, went_back) -> str:
        if went_back:
            return (
                f"transaction #{txn_id} of user #{initiator_id} is stamped before the "
                "transfer they made just before it"
            )
        return (
            f"transaction #{txn_id} of user #{initiator_id} says sent_total {total} but "
            f"their running sum is {expected}"
        )

    return listed(session, query, limit, describe)
