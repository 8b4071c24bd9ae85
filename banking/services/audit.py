"""The services' audit writer: the core's `record`, on the app's session.

Services add the row to the same session as the change it records, so both commit
together or not at all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from banking.core import audit as core_audit
from banking.core.models import AuditEvent
from banking.extensions import db

transaction_hook = core_audit.transaction_hook


def record(action: str, **fields: Any) -> AuditEvent:
    """`core.audit.record` on `fields.pop("session")` or the app's session."""
    session = fields.pop("session", None) or db.session
    return core_audit.record(session, action, **fields)


def record_and_commit(
    session: Session,
    action: str,
    actor_id: int | None,
    target_type: str,
    target_id: Any,
    details: dict[str, Any] | None = None,
) -> None:
    """Commit a customer's change together with its (successful) audit row: one cannot
    exist without the other."""
    core_audit.record(
        session,
        action,
        actor_id=actor_id,
        target_type=target_type,
        target_id=target_id,
        success=True,
        details=details,
    )
    session.commit()
