"""The services' audit writer: the core's `record`, on the app's session.

Services add the row to the same session as the change it records, so both commit
together or not at all.
"""

from __future__ import annotations

from typing import Any

from banking.core import audit as core_audit
from banking.core.models import AuditEvent
from banking.extensions import db

transaction_hook = core_audit.transaction_hook


def record(action: str, **fields: Any) -> AuditEvent:
    """`core.audit.record` on `fields.pop("session")` or the app's session."""
    session = fields.pop("session", None) or db.session
    return core_audit.record(session, action, **fields)
