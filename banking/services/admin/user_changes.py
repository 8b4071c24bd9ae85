"""The changes to a user's access that one admin may ask for and another may have to approve.

Each kind is a `check` (refuse what makes no sense, under the row lock, before doing or
queueing anything) and an `apply` (change the locked row and add the audit row; the
caller's unit of work commits both). `banking.services.admin.users` applies them at once;
`banking.services.admin.dual_control` applies the very same entry when a second admin
approves, with the maker/checker details in `extra`. Keeping them apart from both lets
either import them without importing the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from banking.core import notifications as notices
from banking.core.models import PendingActionKind, RecoveryCode, User
from banking.core.models.user import ROLE_ADMIN, ROLE_CUSTOMER
from banking.services.actor import Actor
from banking.services.admin import work
from banking.services.admin.errors import AdminActionRefused
from banking.services.admin.guards import OWN_USER, refuse_own_user

LOCK = PendingActionKind.USER_LOCK.value
DEMOTE = PendingActionKind.USER_DEMOTE.value
TWO_FACTOR_RESET = PendingActionKind.USER_2FA_RESET.value
ROLE_CHANGE = "admin.user.role"  # one audit action for every role change, either way


def locked_user(session: Session, user_id: int) -> User:
    return work.locked(session, User, user_id, missing="That user no longer exists.")


def record(session: Session, action: str, actor: Actor, user: User, **details) -> None:
    work.record(session, action, actor, target_type="user", target_id=user.id, details=details)


@dataclass(frozen=True)
class UserChange:
    check: Callable[[Session, User], None]
    apply: Callable[[Session, User, Actor, str, dict], None]


def _check_lock(session: Session, user: User) -> None:
    if user.is_locked:
        raise AdminActionRefused("That user is already locked.")


def _apply_lock(session: Session, user: User, actor: Actor, reason: str, extra: dict) -> None:
    user.is_locked = True
    user.locked_reason = reason
    user.rotate_session_token()  # signs out every open session of this user
    record(session, "admin.user.lock", actor, user, reason=reason, **extra)


def _check_demote(session: Session, user: User) -> None:
    if user.role != ROLE_ADMIN:
        raise AdminActionRefused("That user is not an admin.")
    refuse_last_admin(session, user)


def refuse_last_admin(session: Session, user: User) -> None:
    """Someone must still be able to sign in as an admin afterwards (the web cannot make one)."""
    others = session.scalar(
        select(func.count(User.id)).where(
            User.role == ROLE_ADMIN, User.id != user.id, User.is_locked.is_(False)
        )
    )
    if not others:
        raise AdminActionRefused("That user is the last active admin; promote someone else first.")


def _apply_demote(session: Session, user: User, actor: Actor, reason: str, extra: dict) -> None:
    user.role = ROLE_CUSTOMER
    user.rotate_session_token()  # privileges changed: start from a fresh sign-in
    record(
        session, ROLE_CHANGE, actor, user, reason=reason, old=ROLE_ADMIN, new=ROLE_CUSTOMER, **extra
    )


def _check_two_factor(session: Session, user: User) -> None:
    if not user.totp_enabled and not user.totp_secret:
        raise AdminActionRefused("That user has no two-factor authentication to reset.")


def _apply_two_factor(session: Session, user: User, actor: Actor, reason: str, extra: dict) -> None:
    user.totp_secret = None
    user.totp_enabled = False
    user.totp_last_counter = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    record(session, "admin.user.2fa_reset", actor, user, reason=reason, **extra)
    session.add(notices.two_factor_changed(user.id, enabled=False, by_bank=True))


USER_CHANGES: dict[str, UserChange] = {
    LOCK: UserChange(_check_lock, _apply_lock),
    DEMOTE: UserChange(_check_demote, _apply_demote),
    TWO_FACTOR_RESET: UserChange(_check_two_factor, _apply_two_factor),
}
# What acting on yourself is refused with (the older, specific wording where there is one).
SELF_REFUSALS = {
    LOCK: "You cannot lock your own account.",
    DEMOTE: "You cannot change your own role.",
}


def prepare_change(session: Session, kind: str, user_id: int, *, actor_id: int | None) -> User:
    """Lock the target row and refuse what cannot be done, before doing or queueing it."""
    refuse_own_user(user_id, actor_id, SELF_REFUSALS.get(kind, OWN_USER))
    user = locked_user(session, user_id)
    USER_CHANGES[kind].check(session, user)
    return user
