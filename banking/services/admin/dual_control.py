"""Dual control (maker-checker): what one admin may not do alone.

An adjustment or reversal above DUAL_CONTROL_THRESHOLD_CENTS, and any lock, demotion or
two-factor reset of another admin, is not done when the first admin (the maker) asks:
it becomes a `PendingAdminAction` that a second, different admin (the checker) approves
or rejects with a reason. Smaller money actions and actions on customers still happen at
once, as before. This is what core banking systems (Apache Fineract's maker-checker)
do: a stolen or rogue admin session cannot move large sums or disarm the other admins.

Approval re-checks every rule at that moment (the maker is still an active admin, the
checker is someone else and owns nothing involved, the amount is within the maximum)
and runs the very same ledger or user code the direct action runs. The request is
claimed with one conditional UPDATE (`WHERE status = 'pending'`) inside the same
database transaction as the effect, so two admins approving at once execute it once,
and an approval racing a rejection cannot both win.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from banking.core import ledger
from banking.core.models import (
    JournalTransaction,
    PendingActionKind,
    PendingActionStatus,
    PendingAdminAction,
    TransactionKind,
    TransactionStatus,
    User,
)
from banking.core.models.base import utcnow
from banking.services import audit
from banking.services.admin import guards
from banking.services.admin import money as money_actions
from banking.services.admin import users as user_actions
from banking.services.admin.errors import AdminActionRefused

PENDING = PendingActionStatus.PENDING.value
USER_KINDS = {
    PendingActionKind.USER_LOCK.value,
    PendingActionKind.USER_DEMOTE.value,
    PendingActionKind.USER_2FA_RESET.value,
}
QUEUE_LIMIT = 50


# Asking -------------------------------------------------------------------------------
def request_adjustment(
    session: Session,
    account_id: int,
    *,
    direction: str,
    amount: int,
    key: str,
    actor_id: int,
    reason: str,
) -> ledger.PostingResult | PendingAdminAction:
    """Post the adjustment now, or queue it for a second admin when above the threshold."""
    money_actions.check_adjustment(
        session, account_id, direction=direction, amount=amount, actor_id=actor_id
    )
    if amount <= guards.dual_control_threshold():
        return money_actions.adjust(
            session,
            account_id,
            direction=direction,
            amount=amount,
            key=key,
            actor_id=actor_id,
            reason=reason,
        )
    return _submit(
        session,
        kind=PendingActionKind.ADJUSTMENT.value,
        target_type="account",
        target_id=account_id,
        amount=amount,
        params={"direction": direction},
        request_key=f"adjust:{actor_id}:{key}",
        maker_id=actor_id,
        reason=reason,
    )


def request_reversal(
    session: Session, transaction_id: int, *, actor_id: int, reason: str
) -> ledger.PostingResult | PendingAdminAction:
    """Reverse now, or queue the reversal of a large transaction for a second admin."""
    guards.refuse_own_transaction(session, transaction_id, actor_id)
    txn = session.get(JournalTransaction, transaction_id)
    if txn is None or txn.amount <= guards.dual_control_threshold():
        return money_actions.reverse(session, transaction_id, actor_id=actor_id, reason=reason)
    # Refuse now what the ledger would refuse at approval, so nobody is asked for nothing.
    if txn.status != TransactionStatus.POSTED.value:
        raise ledger.NotReversible()
    if txn.kind == TransactionKind.REVERSAL.value:
        raise ledger.NotReversible("A reversal cannot itself be reversed; post an adjustment.")
    if session.scalar(
        select(JournalTransaction.id).where(JournalTransaction.reverses_id == transaction_id)
    ):
        raise ledger.AlreadyReversed()
    return _submit(
        session,
        kind=PendingActionKind.REVERSAL.value,
        target_type="transaction",
        target_id=transaction_id,
        amount=txn.amount,
        params={},
        request_key=None,
        maker_id=actor_id,
        reason=reason,
    )


def request_user_change(
    session: Session, kind: str, user_id: int, *, actor_id: int, reason: str
) -> User | PendingAdminAction:
    """Lock, demote or reset the 2FA of a customer now; of another admin, ask a second one."""
    user = user_actions.prepare_change(session, kind, user_id, actor_id=actor_id)
    if not user.is_admin:
        user_actions.USER_CHANGES[kind].apply(session, user, actor_id, reason, {})
        session.commit()
        return user
    session.rollback()  # release the user row; the change waits for the checker
    return _submit(
        session,
        kind=kind,
        target_type="user",
        target_id=user_id,
        amount=None,
        params={},
        request_key=None,
        maker_id=actor_id,
        reason=reason,
    )


def _submit(session: Session, *, request_key: str | None, **values) -> PendingAdminAction:
    """Record the request and its audit row; a double-submitted form asks only once."""
    if request_key is not None:
        existing = _by_request_key(session, request_key)
        if existing is not None:
            return existing
    else:
        _refuse_duplicate(session, values["kind"], values["target_type"], values["target_id"])
    action = PendingAdminAction(request_key=request_key, **values)
    session.add(action)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        existing = _by_request_key(session, request_key) if request_key else None
        if existing is None:
            raise
        return existing
    _audit(session, "admin.pending.request", values["maker_id"], action)
    session.commit()
    return action


def _by_request_key(session: Session, request_key: str) -> PendingAdminAction | None:
    return session.scalar(
        select(PendingAdminAction).where(PendingAdminAction.request_key == request_key)
    )


def _refuse_duplicate(session: Session, kind: str, target_type: str, target_id: int) -> None:
    waiting = session.scalar(
        select(PendingAdminAction.id).where(
            PendingAdminAction.kind == kind,
            PendingAdminAction.target_type == target_type,
            PendingAdminAction.target_id == target_id,
            PendingAdminAction.status == PENDING,
        )
    )
    if waiting is not None:
        raise AdminActionRefused(
            f"This is already waiting for a second admin (request #{waiting})."
        )


# Deciding -----------------------------------------------------------------------------
def approve(
    session: Session, action_id: int, *, checker_id: int, reason: str
) -> PendingAdminAction:
    """Re-check every rule, then carry the request out through the ordinary code, once."""
    action = _decidable(session, action_id, checker_id)
    maker = session.get(User, action.maker_id)
    if maker is None or not maker.is_admin or maker.is_locked:
        raise AdminActionRefused(
            "The admin who asked for this is no longer an active admin; reject it instead."
        )
    extra = {
        "pending_action_id": action.id,
        "maker_id": action.maker_id,
        "checker_id": checker_id,
        "approval_reason": reason,
    }
    action_id, kind, target_id = action.id, action.kind, action.target_id

    def claim(session: Session, txn: JournalTransaction) -> None:
        if not _claim(session, action_id, checker_id, PendingActionStatus.APPROVED, reason, txn.id):
            raise AdminActionRefused(ALREADY_DECIDED)

    if kind == PendingActionKind.ADJUSTMENT.value:
        result = money_actions.adjust(
            session,
            target_id,
            direction=action.params.get("direction", ""),
            amount=action.amount or 0,
            key=f"pending-{action_id}",
            actor_id=checker_id,
            reason=action.reason,
            maker_id=action.maker_id,
            claim=claim,
            extra=extra,
        )
        if result.replayed:  # a concurrent approval posted it (and claimed the request)
            raise AdminActionRefused(ALREADY_DECIDED)
    elif kind == PendingActionKind.REVERSAL.value:
        guards.refuse_own_transaction(session, target_id, action.maker_id)
        maker_reason = action.reason
        try:
            money_actions.reverse(
                session,
                target_id,
                actor_id=checker_id,
                reason=maker_reason,
                claim=claim,
                extra=extra,
            )
        except ledger.AlreadyReversed:
            if not _still_pending(session, action_id):
                raise AdminActionRefused(ALREADY_DECIDED) from None
            raise
    elif kind in USER_KINDS:
        _approve_user_change(session, action, checker_id, reason, extra)
    else:  # pragma: no cover - the kinds are fixed by the check constraint's writers
        raise AdminActionRefused("This kind of request cannot be approved here.")
    return session.get(PendingAdminAction, action_id, populate_existing=True)


def _approve_user_change(
    session: Session, action: PendingAdminAction, checker_id: int, reason: str, extra: dict
) -> None:
    kind, target_id, maker_reason = action.kind, action.target_id, action.reason
    # Claim first: a second approver's UPDATE waits on this row, then matches nothing.
    if not _claim(session, action.id, checker_id, PendingActionStatus.APPROVED, reason):
        session.rollback()
        raise AdminActionRefused(ALREADY_DECIDED)
    try:
        user = user_actions.prepare_change(session, kind, target_id, actor_id=checker_id)
        user_actions.USER_CHANGES[kind].apply(session, user, checker_id, maker_reason, extra)
        session.commit()
    except BaseException:
        session.rollback()  # the claim goes with it: the request stays pending
        raise


def reject(session: Session, action_id: int, *, checker_id: int, reason: str) -> PendingAdminAction:
    """Close the request without doing it; the maker and the checker are both recorded."""
    action = _decidable(session, action_id, checker_id)
    if not _claim(session, action.id, checker_id, PendingActionStatus.REJECTED, reason):
        session.rollback()
        raise AdminActionRefused(ALREADY_DECIDED)
    _audit(
        session,
        "admin.pending.reject",
        checker_id,
        action,
        maker_id=action.maker_id,
        checker_id=checker_id,
        rejection_reason=reason,
    )
    session.commit()
    return action


ALREADY_DECIDED = "Another admin has already decided this request."


def _decidable(session: Session, action_id: int, checker_id: int) -> PendingAdminAction:
    """The request, if `checker_id` may decide it: still pending, someone else's, and
    touching nothing of the checker's (their account, their transaction, their user)."""
    action = session.get(PendingAdminAction, action_id, populate_existing=True)
    if action is None:
        raise AdminActionRefused("That request no longer exists.")
    if not action.is_pending:
        raise AdminActionRefused(f"This request was already {action.status}.")
    if action.maker_id == checker_id:
        raise AdminActionRefused(
            "You asked for this yourself: a different admin must approve or reject it."
        )
    if action.target_type == "account":
        guards.refuse_own_account(session, action.target_id, checker_id)
    elif action.target_type == "transaction":
        guards.refuse_own_transaction(session, action.target_id, checker_id)
    elif action.target_type == "user":
        guards.refuse_own_user(action.target_id, checker_id)
    return action


def _claim(
    session: Session,
    action_id: int,
    checker_id: int,
    status: PendingActionStatus,
    reason: str,
    result_id: int | None = None,
) -> bool:
    """Decide the request if it is still pending; True when this caller won."""
    matched = session.execute(
        update(PendingAdminAction)
        .where(
            PendingAdminAction.id == action_id,
            PendingAdminAction.status == PENDING,
            PendingAdminAction.maker_id != checker_id,
        )
        .values(
            status=status.value,
            checker_id=checker_id,
            checker_reason=reason[:200],
            decided_at=utcnow(),
            result_id=result_id,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    return matched == 1


def _still_pending(session: Session, action_id: int) -> bool:
    status = session.scalar(
        select(PendingAdminAction.status).where(PendingAdminAction.id == action_id)
    )
    session.rollback()
    return status == PENDING


def _audit(session: Session, action: str, actor_id: int, row: PendingAdminAction, **extra) -> None:
    audit.record(
        action,
        actor_id=actor_id,
        target_type="pending_admin_action",
        target_id=row.id,
        success=True,
        details={
            "kind": row.kind,
            "target_type": row.target_type,
            "target_id": row.target_id,
            "amount": row.amount,
            "reason": row.reason,
            **extra,
        },
        session=session,
    )


# Reading ------------------------------------------------------------------------------
def pending_queue(session: Session, limit: int = QUEUE_LIMIT) -> list[PendingAdminAction]:
    """Requests awaiting a second admin, oldest first (fresh: never from the stats cache)."""
    return list(
        session.scalars(
            select(PendingAdminAction)
            .where(PendingAdminAction.status == PENDING)
            .order_by(PendingAdminAction.created_at, PendingAdminAction.id)
            .limit(limit)
        )
    )


def recently_decided(session: Session, limit: int = 20) -> list[PendingAdminAction]:
    return list(
        session.scalars(
            select(PendingAdminAction)
            .where(PendingAdminAction.status != PENDING)
            .order_by(PendingAdminAction.decided_at.desc(), PendingAdminAction.id.desc())
            .limit(limit)
        )
    )
