"""The bank's own accounts: the other side of deposits, withdrawals, interest, corrections."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from banking.core.ledger.errors import AccountNotFound
from banking.core.models import Account, AccountKind
from banking.core.money import SUPPORTED_CURRENCIES

EXTERNAL_CASH = "external_cash"  # money entering or leaving the bank (deposits, withdrawals)
INTEREST_EXPENSE = "interest_expense"
SUSPENSE = "suspense"  # corrections whose counterpart is still being investigated
SYSTEM_ACCOUNTS = {
    EXTERNAL_CASH: "External cash",
    INTEREST_EXPENSE: "Interest expense",
    SUSPENSE: "Suspense",
}


def ensure_system_accounts(session: Session, currency: str = "USD") -> dict[str, int]:
    """Create the bank's own accounts in every supported currency if missing (idempotent).

    Returns code -> id of the accounts in `currency`, the one most callers post in. Every
    currency gets its own set because a movement never crosses currencies: a EUR deposit
    is balanced by the EUR external-cash account.

    Commits, although no retry loop needs it (the one such exception in the ledger): it
    is a setup step run before any posting (seeding, tests, benchmarks), and its rows must
    be visible to every other connection that posts next, not just to this session.
    """
    from banking.core.account_numbers import new_account_number

    existing = {
        (code, account_currency): account_id
        for code, account_currency, account_id in session.execute(
            select(Account.system_code, Account.currency, Account.id).where(
                Account.system_code.is_not(None)
            )
        )
    }
    for each in dict.fromkeys((currency, *SUPPORTED_CURRENCIES)):
        for code, name in SYSTEM_ACCOUNTS.items():
            if (code, each) in existing:
                continue
            account = Account(
                number=new_account_number(session),
                kind=AccountKind.SYSTEM.value,
                system_code=code,
                currency=each,
                nickname=name,
            )
            session.add(account)
            session.flush()
            existing[(code, each)] = account.id
    session.commit()
    return {code: existing[(code, currency)] for code in SYSTEM_ACCOUNTS}


def system_account_id(session: Session, code: str, currency: str) -> int:
    """The bank's `code` account in `currency` (each currency has its own set)."""
    account_id = session.scalar(
        select(Account.id).where(Account.system_code == code, Account.currency == currency)
    )
    if account_id is None:
        raise AccountNotFound(
            f"System account {code!r} in {currency} is missing; run `flask db upgrade`."
        )
    return account_id
