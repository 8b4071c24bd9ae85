"""Tasks that gave up: recorded by the worker, listed for the admin, retried on request."""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from banking.background import enqueue
from banking.core.models import FailedJob, FailedJobStatus, User
from banking.core.models.base import utcnow
from banking.extensions import db
from banking.services.actor import Actor
from banking.services.admin import work
from banking.services.admin.errors import AdminActionRefused

log = logging.getLogger(__name__)

RETRY = "admin.job.retry"


class JobNotRetryable(AdminActionRefused):
    code = "job_not_retryable"
    message = "That job was already retried; a new failure of it shows as a new row."


class JobNotQueued(AdminActionRefused):
    code = "job_not_queued"
    message = "The job could not be handed to the worker; it stays in the list. Try again later."


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
    """The jobs waiting for an admin, newest first."""
    query = (
        select(FailedJob)
        .where(FailedJob.status == FailedJobStatus.OPEN.value)
        .order_by(FailedJob.failed_at.desc(), FailedJob.id.desc())
        .limit(limit)
    )
    return list(work.session().scalars(query))


def recently_retried(limit: int = 20) -> list[tuple[FailedJob, User | None]]:
    """The last jobs an admin retried, with that admin (newest first)."""
    query = (
        select(FailedJob, User)
        .outerjoin(User, User.id == FailedJob.retried_by_id)
        .where(FailedJob.status == FailedJobStatus.RETRIED.value)
        .order_by(FailedJob.retried_at.desc(), FailedJob.id.desc())
        .limit(limit)
    )
    return [(job, user) for job, user in work.session().execute(query)]


def open_count() -> int:
    query = select(func.count()).where(FailedJob.status == FailedJobStatus.OPEN.value)
    return int(work.session().scalar(query.select_from(FailedJob)) or 0)


def find(job_id: int) -> FailedJob | None:
    return work.session().get(FailedJob, job_id)


def retry(job_id: int, *, actor: Actor, reason: str) -> FailedJob:
    """Queue the job again with its arguments, once; audited as admin.job.retry.

    The job is marked retried and audited *before* it is queued: without a broker the
    task runs right here, in this session, and may commit or roll back on its own. If the
    queue refuses it, the job is reopened (and that, too, is audited), so a job is never
    marked retried without having been handed over. A job that fails again comes back
    as a new row (the worker records it under its new task id).
    """
    with work.unit_of_work() as session:
        job = session.scalar(select(FailedJob).where(FailedJob.id == job_id).with_for_update())
        if job is None:
            raise LookupError(job_id)
        if job.status != FailedJobStatus.OPEN.value:
            raise JobNotRetryable()
        job.status = FailedJobStatus.RETRIED.value
        job.retried_at = utcnow()
        job.retried_by_id = actor.user_id
        task_name, args, kwargs = job.task_name, list(job.args), dict(job.kwargs)
        work.record(
            session,
            RETRY,
            actor,
            target_type="failed_job",
            target_id=job.id,
            details={"task": task_name, "task_id": job.task_id, "reason": reason},
        )
    try:
        enqueue(task_name, *args, **kwargs)
    except Exception as exc:  # broker down or task gone: refuse, never a 500
        log.error("failed job not queued again", extra={"error_type": type(exc).__name__})
        _reopen(job_id, actor=actor, error_type=type(exc).__name__)
        raise JobNotQueued() from exc
    return job


def _reopen(job_id: int, *, actor: Actor, error_type: str) -> None:
    with work.unit_of_work() as session:
        job = session.scalar(select(FailedJob).where(FailedJob.id == job_id).with_for_update())
        job.status = FailedJobStatus.OPEN.value
        job.retried_at = None
        job.retried_by_id = None
        work.record(
            session,
            RETRY,
            actor,
            target_type="failed_job",
            target_id=job_id,
            success=False,
            details={"task": job.task_name, "error_type": error_type},
        )
