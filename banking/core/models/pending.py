"""Admin actions held for a second admin's approval (maker-checker, "dual control").

A large adjustment or reversal, or a lock, demotion or two-factor reset of another
admin, is not done when the first admin (the maker) asks: it is written here, and only
a different admin (the checker) can approve or reject it. The row is the request and
its decision; the money itself still moves only through `banking.core.ledger` when the
checker approves, so nothing here is a balance.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from banking.core.models.base import Base, IdType, utcnow


class PendingActionKind(enum.StrEnum):
    ADJUSTMENT = "adjustment"
    REVERSAL = "reversal"
    USER_LOCK = "user.lock"
    USER_DEMOTE = "user.demote"
    USER_2FA_RESET = "user.2fa_reset"


class PendingActionStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class PendingAdminAction(Base):
    __tablename__ = "pending_admin_actions"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status_valid"),
        CheckConstraint("amount IS NULL OR amount > 0", name="amount_positive"),
        # The database itself refuses a maker approving their own request.
        CheckConstraint("checker_id IS NULL OR checker_id <> maker_id", name="checker_not_maker"),
        Index("ix_pending_admin_actions_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=PendingActionStatus.PENDING.value)
    # "account" (adjustment), "transaction" (reversal) or "user"; the id of that row.
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[int] = mapped_column(BigInteger)
    # Cents, for money actions only (the adjustment's size, the reversed amount).
    amount: Mapped[int | None] = mapped_column(BigInteger)
    params: Mapped[dict] = mapped_column(JSON, default=dict)  # e.g. {"direction": "credit"}
    # The maker's form key: a double-submitted confirmation asks once (unique).
    request_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    reason: Mapped[str] = mapped_column(String(200))
    maker_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    checker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checker_reason: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # What approval produced, e.g. the journal transaction id of the posted adjustment.
    result_id: Mapped[int | None] = mapped_column(BigInteger)

    maker = relationship("User", foreign_keys=[maker_id], lazy="joined")
    checker = relationship("User", foreign_keys=[checker_id], lazy="joined")

    @property
    def is_pending(self) -> bool:
        return self.status == PendingActionStatus.PENDING.value

    def __repr__(self) -> str:
        return f"<PendingAdminAction {self.id} {self.kind} {self.status}>"
