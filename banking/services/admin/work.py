"""The unit of work every admin and operator use case runs in.

The service, not its caller, decides where a change begins and ends: it commits the
change together with its audit row, and rolls both back when it refuses, so a view or a
command never has to remember either (and cannot leave half a change in the session).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from banking.extensions import db
from banking.services import audit, notifications
from banking.services.actor import Actor
from banking.services.admin.errors import AdminActionRefused

Row = TypeVar("Row")


def session() -> Session:
    """The request's (or command's) session, for reads that change nothing."""
    return db.session


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """Yield the session; commit when the block ends, roll back when it raises.

    Ledger calls inside the block may already have committed (their retry loop needs
    its own transaction); the final commit then has nothing left to write.
    """
    current = db.session
    try:
        yield current
        current.commit()
    except BaseException:
        current.rollback()
        raise
    # Whatever the block told a customer (a frozen account, a decided transfer, a reset
    # two-factor): their emails go to the worker now that it is committed.
    notifications.dispatch(current)


def locked(session: Session, model: type[Row], row_id: int, *, missing: str) -> Row:
    """The row re-read under a row lock (FOR UPDATE), or the refusal `missing`.

    `populate_existing` overwrites what the session already held: the change must see
    what the row says now, after whoever held the lock before us committed.
    """
    row = session.scalar(
        select(model)
        .where(model.id == row_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise AdminActionRefused(missing)
    return row


def record(
    session: Session,
    action: str,
    actor: Actor,
    *,
    target_type: str,
    target_id: Any,
    details: dict[str, Any] | None = None,
    success: bool = True,
) -> None:
    """One audit row for a use case, naming the actor and the channel it came through."""
    audit.record(
        action,
        actor_id=actor.user_id,
        target_type=target_type,
        target_id=target_id,
        success=success,
        details={**(details or {}), "via": actor.via},
        session=session,
    )
