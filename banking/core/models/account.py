"""Accounts (customer and bank-owned system accounts) and customers' saved payees."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from banking.core.models.base import Base, IdType, utcnow


class AccountKind(enum.StrEnum):
    CHECKING = "checking"
    SAVINGS = "savings"
    SYSTEM = "system"


class AccountStatus(enum.StrEnum):
    ACTIVE = "active"
    FROZEN = "frozen"
    CLOSED = "closed"


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        # System accounts mirror money outside the bank and may go arbitrarily negative.
        CheckConstraint(
            "kind = 'system' OR balance >= -overdraft_limit", name="balance_within_overdraft"
        ),
        CheckConstraint(
            "kind = 'system' OR available_balance >= -overdraft_limit",
            name="available_within_overdraft",
        ),
        CheckConstraint("overdraft_limit >= 0", name="overdraft_non_negative"),
        CheckConstraint("kind IN ('checking', 'savings', 'system')", name="kind_valid"),
        CheckConstraint("status IN ('active', 'frozen', 'closed')", name="status_valid"),
        # One system account per role *and currency*: a EUR deposit must be balanced by a
        # EUR external-cash account (the ledger never moves money across currencies).
        UniqueConstraint("system_code", "currency", name="uq_accounts_system_code_currency"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default=AccountKind.CHECKING.value)
    system_code: Mapped[str | None] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    nickname: Mapped[str] = mapped_column(String(60), default="")
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    available_balance: Mapped[int] = mapped_column(BigInteger, default=0)
    overdraft_limit: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16), default=AccountStatus.ACTIVE.value)
    status_reason: Mapped[str | None] = mapped_column(String(200))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    owner = relationship("User", back_populates="accounts")

    @property
    def is_system(self) -> bool:
        return self.kind == AccountKind.SYSTEM.value

    @property
    def masked_number(self) -> str:
        """What logs and other customers may see: the last four digits only."""
        return f"••••{self.number[-4:]}"

    @property
    def display_name(self) -> str:
        return self.nickname or f"{self.kind.capitalize()} {self.masked_number}"

    def __repr__(self) -> str:
        return f"<Account {self.id} {self.kind} {self.status}>"


class Payee(Base):
    __tablename__ = "payees"
    __table_args__ = (UniqueConstraint("owner_id", "account_id", name="uq_payees_owner_account"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    nickname: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    account = relationship("Account", lazy="joined")
