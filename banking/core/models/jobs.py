"""What the background worker leaves behind: failed jobs, email deliveries, ledger checks.

- `FailedJob`: a task that gave up after its retries. The admin sees the list and can
  retry one (audited); Prometheus alerts while any is open.
- `EmailDelivery`: one row per email a task sends, keyed by the task's id, so a task that
  runs twice (a redelivery after a killed worker) sends once.
- `LedgerCheck`: each `ledger verify` run (the nightly deep one, the admin's button, the
  CLI): when it ran, what it found. The admin integrity page and the metrics read it.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from banking.core.models.base import Base, IdType, utcnow


class FailedJobStatus(enum.StrEnum):
    OPEN = "open"
    RETRIED = "retried"


class FailedJob(Base):
    __tablename__ = "failed_jobs"
    __table_args__ = (Index("ix_failed_jobs_status_failed_at", "status", "failed_at"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    task_id: Mapped[str] = mapped_column(String(64), unique=True)
    task_name: Mapped[str] = mapped_column(String(120))
    # The task's arguments, to run it again: ids, dates and kinds only (tasks never take a
    # secret or an email body as an argument).
    args: Mapped[list] = mapped_column(JSON, default=list)
    kwargs: Mapped[dict] = mapped_column(JSON, default=dict)
    error_type: Mapped[str] = mapped_column(String(120))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default=FailedJobStatus.OPEN.value)
    failed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    retried_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    retried_by_id: Mapped[int | None] = mapped_column(IdType)


class EmailDelivery(Base):
    __tablename__ = "email_deliveries"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(IdType, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LedgerCheck(Base):
    __tablename__ = "ledger_checks"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    deep: Mapped[bool] = mapped_column(Boolean, default=False)
    ok: Mapped[bool] = mapped_column(Boolean)
    breaches: Mapped[int] = mapped_column(Integer, default=0)
    # The report as `IntegrityReport.to_dict()` gives it: checks run and what they found.
    report: Mapped[dict] = mapped_column(JSON, default=dict)
    via: Mapped[str] = mapped_column(String(16))  # worker | web | cli
    actor_id: Mapped[int | None] = mapped_column(IdType)
