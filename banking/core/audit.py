"""The audit trail's one writer, used by every sensitive action (the core's, so no Flask).

Where an action came from (ip, user agent, request id) is ambient to everything a
request does, so the adapter that owns the request states it once with `origin_scope`
(the web layer does it per request; the CLI and worker leave it empty) instead of
threading it through every call. A ContextVar keeps it per thread and per task.

Some audited actions are also operations signals (failed sign-ins, lockouts): rather than
each service counting them beside the audit call, `on_record` announces every row as it
is recorded, and the app's metrics count the actions they care about.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from sqlalchemy.orm import Session

from banking.core.models import AuditEvent, JournalTransaction
from banking.core.observers import Listeners
from banking.core.redaction import SENSITIVE_KEYS


@dataclass(frozen=True)
class Origin:
    """Where an audited action came from: what the audit row stores besides the actor."""

    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None


_origin: ContextVar[Origin | None] = ContextVar("audit_origin", default=None)


def set_origin(origin: Origin | None) -> object:
    """State the current origin; returns a token for `reset_origin`."""
    return _origin.set(origin)


def reset_origin(token: object) -> None:
    _origin.reset(token)  # type: ignore[arg-type]


@contextmanager
def origin_scope(origin: Origin) -> Iterator[None]:
    token = _origin.set(origin)
    try:
        yield
    finally:
        _origin.reset(token)


def current_origin() -> Origin | None:
    return _origin.get()


@dataclass(frozen=True)
class Recorded:
    """What a listener learns of an audit row: its action, success and (redacted) details.

    Not the row itself: a listener has no business with the session or the actor's id.
    """

    action: str
    success: bool | None
    details: Mapping[str, Any]


_listeners: Listeners[Recorded] = Listeners("audit record")


def on_record(listener: Callable[[Recorded], None]) -> Callable[[], None]:
    """Call `listener` for every audit row recorded in this process; returns the unsubscribe.

    It hears the row when it is added, before the caller commits: it counts attempts (a
    failed sign-in happened even if its row is lost to a database error), not stored rows.
    """
    return _listeners.subscribe(listener)


def record(session: Session, action: str, **fields: Any) -> AuditEvent:
    """Add an audit row to the session (the caller commits it with the change it records).

    `fields` are `build`'s keywords (actor_id, target_type, target_id, success, details).
    Details whose key looks secret are dropped, so a careless caller cannot leak a
    password or token into the trail.
    """
    event = build(action, **fields)
    session.add(event)
    return event


def build(
    action: str,
    *,
    actor_id: int | None = None,
    target_type: str | None = None,
    target_id: Any = None,
    success: bool | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """The audit row `record` adds, not yet in any session (and announced to listeners).

    For a caller that writes it itself in the same database transaction as the change it
    records: the ledger's PostgreSQL path inserts it in its one write statement.
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
    origin = _origin.get()
    if origin is not None:
        event.ip = (origin.ip or "")[:64]
        event.user_agent = (origin.user_agent or "")[:256]
        event.request_id = origin.request_id
    _listeners.announce(Recorded(action, success, MappingProxyType(dict(clean))))
    return event


class TransactionAudit:
    """A ledger `on_posted` hook that records one audit row about the posted transaction.

    Called as a hook it adds the row to the session (`record`); the ledger's PostgreSQL
    path instead asks `rows(txn)` and writes them in its own write statement, which saves
    a flush per posting. The row is the same either way.
    """

    def __init__(
        self,
        action: str | Callable[[JournalTransaction], str],
        actor_id: int | None,
        details: Callable[[JournalTransaction], dict[str, Any]],
    ) -> None:
        self._action = action
        self._actor_id = actor_id
        self._details = details

    def rows(self, txn: JournalTransaction) -> list[AuditEvent]:
        action = self._action(txn) if callable(self._action) else self._action
        return [
            build(
                action,
                actor_id=self._actor_id,
                target_type="transaction",
                target_id=txn.id,
                success=True,
                details=self._details(txn),
            )
        ]

    def __call__(self, session: Session, txn: JournalTransaction) -> None:
        session.add_all(self.rows(txn))


def transaction_hook(
    action: str | Callable[[JournalTransaction], str],
    *,
    actor_id: int | None = None,
    details: Callable[[JournalTransaction], dict[str, Any]],
) -> TransactionAudit:
    """A ledger `on_posted` hook that records `action` about the posted transaction.

    The ledger runs it inside the movement's own database transaction, so the row commits
    with the money or not at all (and a replay, which posts nothing, writes none).
    `actor_id` None means the system did it (interest, an expired hold). `action` may
    depend on the transaction (a transfer is "posted" or "held").
    """
    return TransactionAudit(action, actor_id, details)
