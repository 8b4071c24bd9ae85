"""A customer's own category rules: "always put <merchant> under <category>"."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from banking.core.models.base import Base, IdType, utcnow


class CategoryOverride(Base):
    """One rule per (customer, merchant key). Metadata beside the ledger: no entry refers
    to it, and the category of a movement is worked out when it is read, so a rule applies
    to past and future movements and deleting it undoes it (`banking.core.categories`)."""

    __tablename__ = "category_overrides"
    __table_args__ = (UniqueConstraint("user_id", "merchant_key"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    merchant_key: Mapped[str] = mapped_column(String(200))
    # The merchant as the customer saw it when they made the rule (for the list of rules).
    merchant: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
