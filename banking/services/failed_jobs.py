"""Tasks that gave up: recorded by the worker, listed for the admin, retried on request."""

from __future__ import annotations

from sqlalchemy import func, select

from banking.background import enqueue
from banking.core.errors import DomainError
from banking.core.models import FailedJob, FailedJobStatus
from banking.core.models.base import utcnow
from banking.extensions import db
from banking.services import audit


class JobNotRetryable(DomainError):
    code = "job_not_retryable"
    message = "That job was already retried."


def record_failure(
    *, task_id: str, task_name: str, args: list, kwargs: dict, error_type: str, attempts: int
) -> None:
    """Keep a task that exhausted its retries (once per task id), in its own transaction."""
    session = db.session
    session.rollback()  # whatever the failed task left half-done is not ours to commit
    if session.scalar(select(FailedJob.id).where(FailedJob.task_id == task_id)) is not None:
        return
    session.add(
        FailedJob(
            task_id=task_id,
            task_name=task_name,
            args=list(args),
            kwargs=dict(kwargs),
            error_type=error_type[:120],
            attempts=attempts,
        )
    )
    session.commit()


def open_jobs(limit: int = 100) -> list[FailedJob]:
    query = (
        select(FailedJob)
        .where(FailedJob.status == FailedJobStatus.OPEN.value)
        .order_by(FailedJob.failed_at.desc(), FailedJob.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def open_count() -> int:
    query = select(func.count()).where(FailedJob.status == FailedJobStatus.OPEN.value)
    return int(db.session.scalar(query.select_from(FailedJob)) or 0)


def retry(job_id: int, *, actor_id: int) -> FailedJob:
    """Queue the job again with its arguments; audited; refused if already retried."""
    session = db.session
    job = session.scalar(select(FailedJob).where(FailedJob.id == job_id).with_for_update())
    if job is None:
        raise LookupError(job_id)
    if job.status != FailedJobStatus.OPEN.value:
        session.rollback()
        raise JobNotRetryable()
    job.status = FailedJobStatus.RETRIED.value
    job.retried_at = utcnow()
    job.retried_by_id = actor_id
    audit.record(
        "admin.job.retry",
        actor_id=actor_id,
        target_type="failed_job",
        target_id=job.id,
        success=True,
        details={"task": job.task_name, "task_id": job.task_id},
    )
    session.commit()
    enqueue(job.task_name, *job.args, **job.kwargs)
    return job
