"""Reading what the background worker left behind."""

from __future__ import annotations

from uuid import uuid4

from flask import Flask
from sqlalchemy import select

from banking.core.models import FailedJob
from banking.extensions import db


def failed_jobs(app: Flask) -> list[FailedJob]:
    with app.app_context():
        rows = list(db.session.scalars(select(FailedJob).order_by(FailedJob.id)))
        db.session.expunge_all()
        return rows


def make_failed_job(
    app: Flask,
    task_name: str = "banking.expire_holds",
    args: list | None = None,
    kwargs: dict | None = None,
    *,
    error_type: str = "SMTPServerDisconnected",
    attempts: int = 9,
) -> int:
    """A task that gave up, as the worker records it; returns the failed job's id."""
    with app.app_context():
        job = FailedJob(
            task_id=str(uuid4()),
            task_name=task_name,
            args=list(args or []),
            kwargs=dict(kwargs or {}),
            error_type=error_type,
            attempts=attempts,
        )
        db.session.add(job)
        db.session.commit()
        job_id = job.id
        db.session.remove()
    return job_id
