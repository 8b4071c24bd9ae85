"""The double-entry journal: transactions, their entries, and holds on pending ones.

Rows here are written only by `banking.core.ledger`; entries are never updated or deleted.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from banking.core.models.base import Base, IdType, utcnow


class TransactionKind(enum.StrEnum):
    TRANSFER = "transfer"
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    ADJUSTMENT = "adjustment"
    INTEREST = "interest"
    REVERSAL = "reversal"


class TransactionStatus(enum.StrEnum):
    POSTED = "posted"
    PENDING = "pending"  # held for review: money reserved, not yet moved
    REJECTED = "rejected"  # hold released by an admin
    EXPIRED = "expired"  # hold released by time


# A transfer whose hold was released: it no longer counts towards the daily limit.
RELEASED_TRANSFERS = "kind = 'transfer' AND status IN ('rejected', 'expired')"


class JournalTransaction(Base):
    __tablename__ = "journal_transactions"
    __table_args__ = (
        Index("ix_journal_transactions_created_id", "created_at", "id"),
        # The daily limit (rules.spent_since_query) reads a customer's running total of
        # transfers sent at two points, the latest and the last before the window, each
        # the first row of a backward scan of this index (O(log n), however many they sent).
        Index(
            "ix_journal_transactions_sent",
            "initiator_id",
            "created_at",
            "id",
            postgresql_include=["sent_total"],
            postgresql_where=text("sent_total IS NOT NULL"),
            sqlite_where=text("sent_total IS NOT NULL"),
        ),
        # ... and subtracts what was held and then given back (rejected or expired holds):
        # rare rows, so this index is small.
        Index(
            "ix_journal_transactions_released",
            "initiator_id",
            "created_at",
            postgresql_include=["amount"],
            postgresql_where=text(RELEASED_TRANSFERS),
            sqlite_where=text(RELEASED_TRANSFERS),
        ),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(
        String(16), default=TransactionStatus.POSTED.value, index=True
    )
    memo: Mapped[str] = mapped_column(String(140), default="")
    # Scoped by the ledger as "<initiator>:<client key>", so one column can be unique.
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    # What the key was first used for; a replay asking for something else is a conflict.
    fingerprint: Mapped[str] = mapped_column(String(64))
    initiator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The headline movement (from -> to, amount) of the transaction, for lists and limits.
    source_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    destination_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("journal_transactions.id"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str | None] = mapped_column(String(200))
    # On a customer's transfer: everything that customer has ever sent, this one included,
    # in the order the postings took their user lock (held ones count from the start).
    # The daily limit is a difference of two of these, not a SUM over the day's rows.
    sent_total: Mapped[int | None] = mapped_column(BigInteger)

    entries = relationship(
        "Entry", back_populates="transaction", order_by="Entry.id", lazy="selectin"
    )
    source_account = relationship("Account", foreign_keys=[source_account_id], lazy="joined")
    destination_account = relationship(
        "Account", foreign_keys=[destination_account_id], lazy="joined"
    )
    initiator = relationship("User", foreign_keys=[initiator_id], lazy="select")
    reverses = relationship("JournalTransaction", remote_side=[id], foreign_keys=[reverses_id])

    @property
    def client_key(self) -> str:
        return self.idempotency_key.split(":", 1)[-1]


class Entry(Base):
    __tablename__ = "entries"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_nonzero"),
        # History pages page through (created_at, id) per account: keyset, not OFFSET.
        Index("ix_entries_account_created_id", "account_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("journal_transactions.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)  # signed: + credit to account, - debit
    balance_after: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    transaction = relationship("JournalTransaction", back_populates="entries")
    account = relationship("Account", lazy="select")


class Hold(Base):
    """Money reserved from an account's available balance while a transfer awaits review."""

    __tablename__ = "holds"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("journal_transactions.id"), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    transaction = relationship("JournalTransaction", lazy="joined")
