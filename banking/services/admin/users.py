"""Admin services on users: search, the detail view's data, lock, demote, reset password/2FA.

Each action re-reads the user under a row lock, refuses what makes no sense (acting on
yourself, locking a locked user), changes the row, writes the audit row, and commits both
together. Locking, demoting or resetting the two-factor of another *admin* is not done
here directly: `banking.services.admin.dual_control` queues it for a second admin, then applies
the same `USER_CHANGES` entry when approved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from banking.core.models import (
    Account,
    AuditEvent,
    Entry,
    JournalTransaction,
    RecoveryCode,
    User,
)
from banking.core.models.user import ROLE_ADMIN, ROLE_CUSTOMER
from banking.services import audit, outgoing_mail
from banking.services.admin.errors import AdminActionRefused
from banking.services.admin.guards import OWN_USER, refuse_own_user
from banking.services.admin.pagination import Page, paginate

RECENT_ROWS = 20


def search_users(session: Session, text: str | None, cursor: str | None) -> Page:
    query = select(User)
    if text:
        pattern = f"%{_escape_like(text.lower())}%"
        query = query.where(
            or_(
                func.lower(User.full_name).like(pattern, escape="\\"),
                func.lower(User.email).like(pattern, escape="\\"),
            )
        )
    return paginate(session, query, User, cursor)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass
class UserDetail:
    user: User
    accounts: list[Account]
    movements: list[Entry]
    audit_events: list[AuditEvent]


def user_detail(session: Session, user: User) -> UserDetail:
    accounts = list(
        session.scalars(select(Account).where(Account.owner_id == user.id).order_by(Account.id))
    )
    account_ids = [a.id for a in accounts]
    movements = []
    if account_ids:
        movements = list(
            session.scalars(
                select(Entry)
                .join(JournalTransaction, Entry.transaction_id == JournalTransaction.id)
                .where(Entry.account_id.in_(account_ids))
                .order_by(Entry.created_at.desc(), Entry.id.desc())
                .limit(RECENT_ROWS)
            )
        )
    events = list(
        session.scalars(
            select(AuditEvent)
            .where(
                or_(
                    AuditEvent.actor_id == user.id,
                    (AuditEvent.target_type == "user") & (AuditEvent.target_id == str(user.id)),
                )
            )
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(RECENT_ROWS)
        )
    )
    return UserDetail(user, accounts, movements, events)


def _locked_user(session: Session, user_id: int) -> User:
    user = session.scalar(
        select(User)
        .where(User.id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if user is None:
        raise AdminActionRefused("That user no longer exists.")
    return user


def _audit(session: Session, action: str, actor_id: int, user: User, **details) -> None:
    audit.record(
        action,
        actor_id=actor_id,
        target_type="user",
        target_id=user.id,
        success=True,
        details=details,
        session=session,
    )


# The changes a second admin may have to approve (see `banking.services.admin.dual_control`): each
# is a `check` (refuse what makes no sense, before asking anyone) and an `apply` that
# changes the locked row and adds the audit row, committed by the caller. `extra` carries
# the maker/checker details of an approved request into that audit row.
@dataclass(frozen=True)
class UserChange:
    check: Callable[[User], None]
    apply: Callable[[Session, User, int, str, dict], None]


def _check_lock(user: User) -> None:
    if user.is_locked:
        raise AdminActionRefused("That user is already locked.")


def _apply_lock(session: Session, user: User, actor_id: int, reason: str, extra: dict) -> None:
    user.is_locked = True
    user.locked_reason = reason
    user.rotate_session_token()
    _audit(session, "admin.user.lock", actor_id, user, reason=reason, **extra)


def _check_demote(user: User) -> None:
    if user.role != ROLE_ADMIN:
        raise AdminActionRefused("That user is not an admin.")


def _apply_demote(session: Session, user: User, actor_id: int, reason: str, extra: dict) -> None:
    user.role = ROLE_CUSTOMER
    user.rotate_session_token()  # privileges changed: start from a fresh sign-in
    _audit(
        session,
        "admin.user.role",
        actor_id,
        user,
        reason=reason,
        old=ROLE_ADMIN,
        new=ROLE_CUSTOMER,
        **extra,
    )


def _check_two_factor(user: User) -> None:
    if not user.totp_enabled and not user.totp_secret:
        raise AdminActionRefused("That user has no two-factor authentication to reset.")


def _apply_two_factor(
    session: Session, user: User, actor_id: int, reason: str, extra: dict
) -> None:
    user.totp_secret = None
    user.totp_enabled = False
    user.totp_last_counter = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    _audit(session, "admin.user.2fa_reset", actor_id, user, reason=reason, **extra)


USER_CHANGES: dict[str, UserChange] = {
    "user.lock": UserChange(_check_lock, _apply_lock),
    "user.demote": UserChange(_check_demote, _apply_demote),
    "user.2fa_reset": UserChange(_check_two_factor, _apply_two_factor),
}
# What acting on yourself is refused with (the older, specific wording where there is one).
SELF_REFUSALS = {
    "user.lock": "You cannot lock your own account.",
    "user.demote": "You cannot change your own role.",
}


def prepare_change(session: Session, kind: str, user_id: int, *, actor_id: int) -> User:
    """Lock the target row and refuse what cannot be done, before doing or queueing it."""
    refuse_own_user(user_id, actor_id, SELF_REFUSALS.get(kind, OWN_USER))
    user = _locked_user(session, user_id)
    USER_CHANGES[kind].check(user)
    return user


def _change_now(session: Session, kind: str, user_id: int, *, actor_id: int, reason: str) -> User:
    user = prepare_change(session, kind, user_id, actor_id=actor_id)
    if user.is_admin:  # one admin never does this to another alone (dual control)
        raise AdminActionRefused("A second admin must approve this for an admin user.")
    USER_CHANGES[kind].apply(session, user, actor_id, reason, {})
    session.commit()
    return user


def lock_user(session: Session, user_id: int, *, actor_id: int, reason: str) -> User:
    """Lock the user out and end their sessions (a new session token signs them out)."""
    return _change_now(session, "user.lock", user_id, actor_id=actor_id, reason=reason)


def unlock_user(session: Session, user_id: int, *, actor_id: int, reason: str) -> User:
    refuse_own_user(user_id, actor_id)
    user = _locked_user(session, user_id)
    if not user.is_locked:
        raise AdminActionRefused("That user is not locked.")
    user.is_locked = False
    user.locked_reason = None
    user.failed_logins = 0
    user.lockout_until = None
    _audit(session, "admin.user.unlock", actor_id, user, reason=reason)
    session.commit()
    return user


def demote_admin(session: Session, user_id: int, *, actor_id: int, reason: str) -> User:
    """Make another admin a customer again.

    The web can only take the admin role away, never give it: administrators are made
    on the server (`flask create-admin`, `flask users promote`), so a stolen admin
    session cannot mint more admins. Demoting yourself is refused, which also means
    the web can never remove the last admin (the one acting stays).
    """
    return _change_now(session, "user.demote", user_id, actor_id=actor_id, reason=reason)


def force_password_reset(session: Session, user_id: int, *, actor_id: int, reason: str) -> User:
    """Sign the user out everywhere and email them a reset link.

    The sign-out and its audit row commit first; the email is queued for the worker, so
    a mail outage delays it (and, if it gives up, lists it under Failed jobs) instead of
    undoing or hiding what was done.
    """
    refuse_own_user(user_id, actor_id)  # your own password: the profile page, not admin powers
    user = _locked_user(session, user_id)
    user.rotate_session_token()
    _audit(session, "admin.user.password_reset", actor_id, user, reason=reason)
    session.commit()
    # Queued after the commit: the worker sends it (and retries while the mail server is
    # down; a delivery that gives up shows in Admin -> Failed jobs, with a Retry button).
    outgoing_mail.queue_user_email(outgoing_mail.PASSWORD_RESET, user)
    return user


def reset_two_factor(session: Session, user_id: int, *, actor_id: int, reason: str) -> User:
    """Clear the TOTP secret and every recovery code, so the user can enrol again."""
    return _change_now(session, "user.2fa_reset", user_id, actor_id=actor_id, reason=reason)
