"""The one helper that writes the audit trail, used by every sensitive action."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import g, has_request_context, request
from sqlalchemy.orm import Session

from banking.core.models import AuditEvent, JournalTransaction
from banking.extensions import db
from banking.logging import SENSITIVE_KEYS


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


def transaction_hook(
    action: str,
    *,
    actor_id: int | None = None,
    details: Callable[[JournalTransaction], dict[str, Any]],
) -> Callable[[Session, JournalTransaction], None]:
    """A ledger `on_posted` hook that records `action` about the posted transaction.

    The ledger runs it inside the movement's own database transaction, so the row commits
    with the money or not at all (and a replay, which posts nothing, writes none).
    `actor_id` None means the system did it (interest, an expired hold).
    """

    def on_posted(session: Session, txn: JournalTransaction) -> None:
        record(
            action,
            actor_id=actor_id,
            target_type="transaction",
            target_id=txn.id,
            success=True,
            details=details(txn),
            session=session,
        )

    return on_posted
