"""The database models; import them from here so Alembic sees every table."""

from banking.core.models.account import Account, AccountKind, AccountStatus, Payee
from banking.core.models.audit import AuditEvent
from banking.core.models.categories import CategoryOverride
from banking.core.models.jobs import (
    EmailDelivery,
    FailedJob,
    FailedJobStatus,
    LedgerCheck,
)
from banking.core.models.ledger import (
    Entry,
    Hold,
    JournalTransaction,
    TransactionKind,
    TransactionStatus,
)
from banking.core.models.login_failures import UnknownLoginFailure
from banking.core.models.notification import Notification, NotificationPreference
from banking.core.models.pending import (
    PendingActionKind,
    PendingActionStatus,
    PendingAdminAction,
)
from banking.core.models.savings import SavingsGoal
from banking.core.models.schedule import Frequency, ScheduledTransfer, ScheduleStatus
from banking.core.models.statement import StatementDocument
from banking.core.models.user import RecoveryCode, User

__all__ = [
    "Account",
    "AccountKind",
    "AccountStatus",
    "AuditEvent",
    "CategoryOverride",
    "EmailDelivery",
    "Entry",
    "FailedJob",
    "FailedJobStatus",
    "Frequency",
    "Hold",
    "JournalTransaction",
    "LedgerCheck",
    "Notification",
    "NotificationPreference",
    "Payee",
    "PendingActionKind",
    "PendingActionStatus",
    "PendingAdminAction",
    "RecoveryCode",
    "SavingsGoal",
    "ScheduleStatus",
    "ScheduledTransfer",
    "StatementDocument",
    "TransactionKind",
    "TransactionStatus",
    "UnknownLoginFailure",
    "User",
]
