"""What the worker left in the database, read through the test's own app."""

from __future__ import annotations

from sqlalchemy import select

from banking.core.models import EmailDelivery
from banking.extensions import db


def sent_deliveries(app) -> list[EmailDelivery]:
    """The `email_deliveries` rows marked sent (one per email the worker delivered)."""
    with app.app_context():
        query = select(EmailDelivery).where(EmailDelivery.sent_at.is_not(None))
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        db.session.remove()
        return rows
