"""The only code that moves money.

Every movement — customer transfer, admin adjustment, deposit, withdrawal, interest,
reversal, the capture of a held transfer — is a balanced journal transaction posted in
one database transaction: lock the accounts in ascending id order, ask the rule book
under the lock, write the journal row and its entries, update the denormalized
balances, commit. Or change nothing.

No Flask here: callers pass a SQLAlchemy session, ids and (when "now" is not the real
time) a `banking.core.clock.Clock`, and get results or domain errors back. Deadlocks and
serialization failures are retried with jitter; `on_retry` and `on_posting` let metrics
watch the retries and what became of each movement.

The package, one module per concern (this file only re-exports the public API):
- errors.py: every refusal (`LedgerError` and its subclasses, one `code` each)
- movements.py: `Limits`, `PostingResult`, the hook types
- rules.py: THE rule book (`check_movement` -> `Decision`), shared with previews
- posting.py: `post_transfer`, `post_adjustment` (and the one posting path)
- holds.py, reversals.py, closing.py: reviews, reversals, closing an account
- system_accounts.py: the bank's own accounts
- locking.py, retries.py: the row-lock order and the retry loop with its listeners
- outcomes.py: each movement's outcome (posted, held, refused by code) for its listeners
"""

from banking.core.ledger.closing import close_account, close_blockers
from banking.core.ledger.errors import (
    AccountClosed,
    AccountFrozen,
    AccountNotClosable,
    AccountNotFound,
    AlreadyReversed,
    CloseBlocker,
    CurrencyMismatch,
    IdempotencyConflict,
    InsufficientFunds,
    LedgerError,
    LimitExceeded,
    NotPending,
    NotReversible,
    RetriesExhausted,
    SameAccount,
)
from banking.core.ledger.holds import approve_hold, expire_holds, reject_hold
from banking.core.ledger.movements import AccountHook, Hook, Limits, PostingResult
from banking.core.ledger.outcomes import Outcome, PostingEvent, on_posting
from banking.core.ledger.posting import post_adjustment, post_transfer
from banking.core.ledger.retries import (
    RETRYABLE_SQLSTATES,
    RetryCounter,
    RetryEvent,
    counting_retries,
    on_retry,
)
from banking.core.ledger.reversals import reverse_transaction
from banking.core.ledger.rules import Decision, check_amount, check_movement, spent_last_24h
from banking.core.ledger.system_accounts import (
    EXTERNAL_CASH,
    INTEREST_EXPENSE,
    SUSPENSE,
    SYSTEM_ACCOUNTS,
    ensure_system_accounts,
    system_account_id,
)

__all__ = [
    "EXTERNAL_CASH",
    "INTEREST_EXPENSE",
    "RETRYABLE_SQLSTATES",
    "SUSPENSE",
    "SYSTEM_ACCOUNTS",
    "AccountClosed",
    "AccountFrozen",
    "AccountHook",
    "AccountNotClosable",
    "AccountNotFound",
    "AlreadyReversed",
    "CloseBlocker",
    "CurrencyMismatch",
    "Decision",
    "Hook",
    "IdempotencyConflict",
    "InsufficientFunds",
    "LedgerError",
    "LimitExceeded",
    "Limits",
    "NotPending",
    "NotReversible",
    "Outcome",
    "PostingEvent",
    "PostingResult",
    "RetriesExhausted",
    "RetryCounter",
    "RetryEvent",
    "SameAccount",
    "approve_hold",
    "check_amount",
    "check_movement",
    "close_account",
    "close_blockers",
    "counting_retries",
    "ensure_system_accounts",
    "expire_holds",
    "on_posting",
    "on_retry",
    "post_adjustment",
    "post_transfer",
    "reject_hold",
    "reverse_transaction",
    "spent_last_24h",
    "system_account_id",
]
