"""Proof that the books balance: every ledger invariant, checked by set-based SQL.

`verify_ledger` never trusts the code that wrote the rows. Each check is one aggregate
query (GROUP BY / anti-join) the database answers in a scan or two, so it stays fast on
millions of entries; only the breaches come back to Python, at most `limit` per check.
Read-only: it changes nothing and may run against production at any time.

The package: `report` (Breach, IntegrityReport), `journal` (checks on transactions)
and `accounts` (checks on balances, holds and limits); `verify_ledger` runs them all.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from banking.core.integrity import accounts, journal
from banking.core.integrity.report import Breach, Check, IntegrityReport
from banking.core.models import Account, Entry, JournalTransaction

__all__ = ["Breach", "Check", "IntegrityReport", "verify_ledger"]


def verify_ledger(session: Session, *, limit: int = 50, deep: bool = False) -> IntegrityReport:
    """Run every invariant check; `deep` also replays each entry's running balance.

    The deep check sorts every entry per account (a window function), which costs more
    than the others on a large journal, so it is opt-in (`flask ledger verify --deep`).
    """
    report = IntegrityReport()
    checks: list[tuple[str, Check]] = [
        ("transaction_balance", journal.transactions_balance),
        ("transaction_headline", journal.entries_match_headline),
        ("grand_total", journal.grand_total_is_zero),
        ("account_balance", accounts.account_balances),
        ("available_balance", accounts.available_balances),
        ("overdraft", accounts.within_overdraft),
        ("reversal", journal.reversals),
        ("hold", accounts.holds),
        ("closed_account", accounts.closed_accounts),
        ("currency", journal.currencies),
    ]
    if deep:
        checks.append(("running_balance", accounts.running_balances))
        checks.append(("sent_total", journal.sent_totals))
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
