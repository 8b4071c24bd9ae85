"""The one helper that writes the audit trail, used by every sensitive action."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context, request
from sqlalchemy.orm import Session

from banking.extensions import db
from banking.logging import SENSITIVE_KEYS
from banking.models import AuditEvent


def record(
    action: str,
    *,
    actor_id: int | None = None,
    target_type: str | None = None,
    target_id: Any = None,
    success: bool | None = None,
    details: dict[str, Any] | None = None,
    session: Session | None = None,
) -> AuditEvent:
    """Add an audit row to the session (the caller commits it with the change it records).

    Details whose key looks secret are dropped, so a careless caller cannot leak a
    password or token into the trail.
    """
    clean = {k: v for k, v in (details or {}).items() if not SENSITIVE_KEYS.search(k)}
    event = AuditEvent(
        action=action,
        actor_id=actor_id,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        success=success,
        details=clean,
    )
    if has_request_context():
        event.ip = (request.remote_addr or "")[:64]
        event.user_agent = (request.user_agent.string or "")[:256]
        event.request_id = g.get("request_id")
    (session or db.session).add(event)
    return event
