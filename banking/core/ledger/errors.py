"""Every refusal the ledger can give, as `DomainError`s with a stable code per reason.

The code names the *reason* (not the module that noticed it), so a metric or a test can
tell "insufficient funds" from "frozen account" whichever path refused: the rule book
(`rules.py`) builds these for the preview and schedule creation exactly as for posting.
"""

from __future__ import annotations

import enum

from banking.core.errors import DomainError


class LedgerError(DomainError):
    """A movement refused for a reason the person asking can understand."""

    code = "ledger_refused"
    message = "This movement cannot be made."


class AccountNotFound(LedgerError):
    code = "account_not_found"
    message = "That account was not found."


class AccountFrozen(LedgerError):
    code = "account_frozen"
    message = "That account is frozen and cannot send or receive money."


class AccountClosed(LedgerError):
    code = "account_closed"
    message = "That account is closed."


class SameAccount(LedgerError):
    code = "same_account"
    message = "Choose two different accounts."


class InsufficientFunds(LedgerError):
    code = "insufficient_funds"
    message = "There is not enough money available in that account."


class LimitExceeded(LedgerError):
    code = "limit_exceeded"
    message = "That transfer is over your limit."


class CurrencyMismatch(LedgerError):
    code = "currency_mismatch"
    message = "Both accounts must use the same currency."


class IdempotencyConflict(LedgerError):
    code = "idempotency_conflict"
    message = "This form was already submitted with different details. Start a new transfer."


class AlreadyReversed(LedgerError):
    code = "already_reversed"
    message = "That transaction has already been reversed."


class NotReversible(LedgerError):
    code = "not_reversible"
    message = "Only a posted transaction can be reversed."


class NotPending(LedgerError):
    code = "not_pending"
    message = "That transfer is no longer awaiting review."


class RetriesExhausted(LedgerError):
    code = "retries_exhausted"
    message = "The bank is busy right now; nothing was moved. Please try again."


class CloseBlocker(enum.StrEnum):
    """Why an account cannot close yet (callers phrase it for their own readers)."""

    ALREADY_CLOSED = "already_closed"
    FROZEN = "frozen"  # only when the caller does not allow closing a frozen account
    BALANCE = "balance"  # balance or available balance not exactly zero
    PENDING_OUT = "pending_out"  # a transfer from it awaits review (money reserved)
    PENDING_IN = "pending_in"  # a transfer to it awaits review (money may still arrive)


class AccountNotClosable(LedgerError):
    code = "account_not_closable"
    message = "This account cannot be closed yet."

    def __init__(self, blockers: list[CloseBlocker]) -> None:
        super().__init__()
        self.blockers = tuple(blockers)
