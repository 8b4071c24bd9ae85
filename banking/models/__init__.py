"""The database models; import them from here so Alembic sees every table."""

from banking.models.account import Account, AccountKind, AccountStatus, Payee
from banking.models.audit import AuditEvent
from banking.models.ledger import (
    Entry,
    Hold,
    JournalTransaction,
    TransactionKind,
    TransactionStatus,
)
from banking.models.login_failures import UnknownLoginFailure
from banking.models.pending import (
    PendingActionKind,
    PendingActionStatus,
    PendingAdminAction,
)
from banking.models.schedule import Frequency, ScheduledTransfer, ScheduleStatus
from banking.models.user import RecoveryCode, User

__all__ = [
    "Account",
    "AccountKind",
    "AccountStatus",
    "AuditEvent",
    "Entry",
    "Frequency",
    "Hold",
    "JournalTransaction",
    "Payee",
    "PendingActionKind",
    "PendingActionStatus",
    "PendingAdminAction",
    "RecoveryCode",
    "ScheduleStatus",
    "ScheduledTransfer",
    "TransactionKind",
    "TransactionStatus",
    "UnknownLoginFailure",
    "User",
]
