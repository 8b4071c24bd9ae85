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

Every function here is its own unit of work: it commits what it decided (with the audit
row) or rolls everything back when it refuses.
"""

from __future__ import annotations

from typing import Any

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
from banking.services.actor import Actor
from banking.services.admin import guards, work
from banking.services.admin import money as money_actions
from banking.services.admin import user_changes as changes
from banking.services.admin.errors import AdminActionRefused

PENDING = PendingActionStatus.PENDING.value
USER_KINDS = {changes.LOCK, changes.DEMOTE, changes.TWO_FACTOR_RESET}
QUEUE_LIMIT = 50
ALREADY_DECIDED = "Another admin has already decided this request."


# Asking -------------------------------------------------------------------------------
def request_adjustment(
    account_id: int,
    *,
    direction: str,
    amount: int,
    key: str,
    actor: Actor,
    reason: str,
) -> ledger.PostingResult | PendingAdminAction:
    """Post the adjustment now, or queue it for a second admin when above the threshold."""
    with work.unit_of_work() as session:
        money_actions.check_adjustment(
            session, account_id, direction=direction, amount=amount, actor_id=actor.user_id
        )
    if amount <= guards.dual_control_threshold():
        return money_actions.adjust(
            account_id,
            direction=direction,
            amount=amount,
            key=key,
            actor=actor,
            reason=reason,
        )
    return _submit(
        kind=PendingActionKind.ADJUSTMENT.value,
        target_type="account",
        target_id=account_id,
        amount=amount,
        params={"direction": direction},
        request_key=f"adjust:{actor.user_id}:{key}",
        actor=actor,
        reason=reason,
    )


def request_reversal(
    transaction_id: int, *, actor: Actor, reason: str
) -> ledger.PostingResult | PendingAdminAction:
    """Reverse now, or queue the reversal of a large transaction for a second admin."""
    with work.unit_of_work() as session:
        guards.refuse_own_transaction(session, transaction_id, actor.user_id)
        txn = session.get(JournalTransaction, transaction_id)
        now = txn is None or txn.amount <= guards.dual_control_threshold()
        if not now:
            # Refuse now what the ledger would refuse at approval, so nobody is asked for
            # nothing.
            if txn.status != TransactionStatus.POSTED.value:
                raise ledger.NotReversible()
            if txn.kind == TransactionKind.REVERSAL.value:
                raise ledger.NotReversible(
                    "A reversal cannot itself be reversed; post an adjustment."
                )
            if session.scalar(
                select(JournalTransaction.id).where(
                    JournalTransaction.reverses_id == transaction_id
                )
            ):
                raise ledger.AlreadyReversed()
            amount = txn.amount
    if now:
        return money_actions.reverse(transaction_id, actor=actor, reason=reason)
    return _submit(
        kind=PendingActionKind.REVERSAL.value,
        target_type="transaction",
        target_id=transaction_id,
        amount=amount,
        actor=actor,
        reason=reason,
    )


def submit_user_change(kind: str, user_id: int, *, actor: Actor, reason: str) -> PendingAdminAction:
    """Queue a lock, demotion or 2FA reset of an admin (checked by `users` beforehand)."""
    return _submit(kind=kind, target_type="user", target_id=user_id, actor=actor, reason=reason)


def _submit(
    *, actor: Actor, reason: str, request_key: str | None = None, **values: Any
) -> PendingAdminAction:
    """Record the request and its audit row; a double-submitted form asks only once.

    `values` are the request's columns (kind, target, amount, params); what is left out
    takes the column's default (no amount, no params). Without a `request_key`
    (reversals, user changes) a second request for the same thing while one waits is
    refused instead.
    """
    if actor.user_id is None:  # a request needs a maker the checker can be told apart from
        raise AdminActionRefused("Only a signed-in admin can ask a second admin to approve.")
    with work.unit_of_work() as session:
        if request_key is not None:
            existing = _by_request_key(session, request_key)
            if existing is not None:
                return existing
        else:
            _refuse_duplicate(session, values["kind"], values["target_type"], values["target_id"])
        action = PendingAdminAction(
            request_key=request_key, maker_id=actor.user_id, reason=reason, **values
        )
        session.add(action)
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            existing = _by_request_key(session, request_key) if request_key else None
            if existing is None:
                raise
            return existing
        _audit(session, "admin.pending.request", actor, action)
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
def approve(action_id: int, *, actor: Actor, reason: str) -> PendingAdminAction:
    """Re-check every rule, then carry the request out through the ordinary code, once."""
    with work.unit_of_work() as session:
        _approve(session, action_id, actor, reason)
    return session.get(PendingAdminAction, action_id, populate_existing=True)


def _approve(session: Session, action_id: int, actor: Actor, reason: str) -> None:
    checker_id = actor.user_id
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
    kind, target_id = action.kind, action.target_id

    def claim(session: Session, txn: JournalTransaction) -> None:
        if not _claim(session, action_id, checker_id, PendingActionStatus.APPROVED, reason, txn.id):
            raise AdminActionRefused(ALREADY_DECIDED)

    if kind == PendingActionKind.ADJUSTMENT.value:
        result = money_actions.adjust(
            target_id,
            direction=action.params.get("direction", ""),
            amount=action.amount or 0,
            key=f"pending-{action_id}",
            actor=actor,
            reason=action.reason,
            maker_id=action.maker_id,
            claim=claim,
            extra=extra,
        )
        if result.replayed:  # a concurrent approval posted it (and claimed the request)
            raise AdminActionRefused(ALREADY_DECIDED)
    elif kind == PendingActionKind.REVERSAL.value:
        guards.refuse_own_transaction(session, target_id, action.maker_id)
        try:
            money_actions.reverse(
                target_id, actor=actor, reason=action.reason, claim=claim, extra=extra
            )
        except ledger.AlreadyReversed:
            if not _still_pending(session, action_id):
                raise AdminActionRefused(ALREADY_DECIDED) from None
            raise
    elif kind in USER_KINDS:
        _approve_user_change(session, action, actor, reason, extra)
    else:  # pragma: no cover - the kinds are fixed by the check constraint's writers
        raise AdminActionRefused("This kind of request cannot be approved here.")


def _approve_user_change(
    session: Session, action: PendingAdminAction, actor: Actor, reason: str, extra: dict
) -> None:
    kind, target_id, maker_reason = action.kind, action.target_id, action.reason
    # Claim first: a second approver's UPDATE waits on this row, then matches nothing.
    if not _claim(session, action.id, actor.user_id, PendingActionStatus.APPROVED, reason):
        raise AdminActionRefused(ALREADY_DECIDED)
    # A refusal below rolls the claim back with everything else: the request stays pending.
    user = changes.prepare_change(session, kind, target_id, actor_id=actor.user_id)
    changes.USER_CHANGES[kind].apply(session, user, actor, maker_reason, extra)


def reject(action_id: int, *, actor: Actor, reason: str) -> PendingAdminAction:
    """Close the request without doing it; the maker and the checker are both recorded."""
    with work.unit_of_work() as session:
        action = _decidable(session, action_id, actor.user_id)
        if not _claim(session, action.id, actor.user_id, PendingActionStatus.REJECTED, reason):
            raise AdminActionRefused(ALREADY_DECIDED)
        _audit(
            session,
            "admin.pending.reject",
            actor,
            action,
            maker_id=action.maker_id,
            checker_id=actor.user_id,
            rejection_reason=reason,
        )
    return action


def _decidable(session: Session, action_id: int, checker_id: int | None) -> PendingAdminAction:
    """The request, if `checker_id` may decide it: still pending, someone else's, and
    touching nothing of the checker's (their account, their transaction, their user)."""
    action = session.get(PendingAdminAction, action_id, populate_existing=True)
    if action is None:
        raise AdminActionRefused("That request no longer exists.")
    if not action.is_pending:
        raise AdminActionRefused(f"This request was already {action.status}.")
    if checker_id is None:  # the checker is a second *person*; the CLI names nobody
        raise AdminActionRefused("Only a signed-in admin can approve or reject a request.")
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


def _audit(session: Session, action: str, actor: Actor, row: PendingAdminAction, **extra) -> None:
    work.record(
        session,
        action,
        actor,
        target_type="pending_admin_action",
        target_id=row.id,
        details={
            "kind": row.kind,
            "target_type": row.target_type,
            "target_id": row.target_id,
            "amount": row.amount,
            "reason": row.reason,
            **extra,
        },
    )


# Reading ------------------------------------------------------------------------------
def find_request(action_id: int) -> PendingAdminAction | None:
    return work.session().get(PendingAdminAction, action_id)


def pending_queue(limit: int = QUEUE_LIMIT) -> list[PendingAdminAction]:
    """Requests awaiting a second admin, oldest first (fresh: never from the stats cache)."""
    return list(
        work.session().scalars(
            select(PendingAdminAction)
            .where(PendingAdminAction.status == PENDING)
            .order_by(PendingAdminAction.created_at, PendingAdminAction.id)
            .limit(limit)
        )
    )


def recently_decided(limit: int = 20) -> list[PendingAdminAction]:
    return list(
        work.session().scalars(
            select(PendingAdminAction)
            .where(PendingAdminAction.status != PENDING)
            .order_by(PendingAdminAction.decided_at.desc(), PendingAdminAction.id.desc())
            .limit(limit)
        )
    )
