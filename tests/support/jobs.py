"""Reading what the background worker left behind."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from banking.core.models import FailedJob
from banking.extensions import db


def failed_jobs(app: Flask) -> list[FailedJob]:
    with app.app_context():
        rows = list(db.session.scalars(select(FailedJob).order_by(FailedJob.id)))
        db.session.expunge_all()
        return rows
