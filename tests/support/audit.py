"""Read the audit trail back: what the code under test recorded, oldest first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from banking.core.models import AuditEvent
from tests.support.database import as_database

if TYPE_CHECKING:
    from tests.support.builders import Bank


def audit_actions(bank: Bank, prefix: str = "") -> list[str]:
    """Every recorded action (only those starting with `prefix`), oldest first."""
    with as_database(bank).session() as session:
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    return [action for action in actions if action.startswith(prefix)]


def audit_rows(bank: Bank, action: str) -> list[AuditEvent]:
    """The detached audit rows of one `action`, oldest first."""
    with as_database(bank).session() as session:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)
