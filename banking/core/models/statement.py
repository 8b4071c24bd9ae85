"""Statement documents: each account's monthly statement, produced once and kept as issued.

A document is a copy of the journal as posted for one (account, month): its figures and
its rendered PDF and CSV. It is never rewritten (unique (account_id, period), no update
path): a correction to a past month is a reversal posted, and so shown, in the month it
was posted. The figures are stored beside the files so the archive lists them without
opening a PDF, and so a test (or an auditor) can compare them with the journal.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from banking.core.models.base import Base, IdType, utcnow


class StatementDocument(Base):
    __tablename__ = "statement_documents"
    __table_args__ = (
        # One document per account and month: the job may run twice, the row exists once.
        UniqueConstraint("account_id", "period", name="uq_statement_documents_account_period"),
        CheckConstraint("credits >= 0 AND debits >= 0", name="totals_non_negative"),
        CheckConstraint("entry_count >= 0", name="entry_count_non_negative"),
        # The statement's own invariant, kept by the database too.
        CheckConstraint("closing = opening + credits - debits", name="reconciles"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    period: Mapped[date] = mapped_column(Date)  # the month's first day (display timezone)
    opening: Mapped[int] = mapped_column(BigInteger)  # minor units, like every amount
    closing: Mapped[int] = mapped_column(BigInteger)
    credits: Mapped[int] = mapped_column(BigInteger)  # money in (>= 0)
    debits: Mapped[int] = mapped_column(BigInteger)  # money out (>= 0)
    entry_count: Mapped[int] = mapped_column(Integer)
    # The files as issued (a few kB each). Stored, not regenerated: a later change of
    # display timezone or of a payee's name must not change a statement already issued,
    # and the CSV must say what the PDF says.
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    csv: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
