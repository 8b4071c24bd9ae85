"""Admin and operator use cases on users: find, lock, unlock, promote, demote, resets.

The admin pages and `flask users ...` call these same functions: one audit action, one
row lock, one set of refusals per operation. Each runs as its own unit of work: it
re-reads the user under a row lock, refuses what makes no sense (acting on yourself,
locking a locked user), changes the row and writes the audit row, and commits both.

Locking, demoting or resetting the two-factor of another *admin* from the web is not
done at once: it is queued for a second admin (`dual_control`), who then applies the
same `user_changes` entry. The server's operator (the CLI) acts at once: see
`guards.needs_second_admin`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from banking.core.models import (
    Account,
    AccountStatus,
    AuditEvent,
    Entry,
    JournalTransaction,
    PendingAdminAction,
    User,
)
from banking.core.models.user import ROLE_ADMIN, ROLE_CUSTOMER
from banking.services import outgoing_mail
from banking.services.actor import Actor
from banking.services.admin import dual_control, guards, work
from banking.services.admin import user_changes as changes
from banking.services.admin.errors import AdminActionRefused
from banking.services.admin.pagination import Page, paginate

RECENT_ROWS = 20


# Reading ------------------------------------------------------------------------------
def search_users(text: str | None, cursor: str | None) -> Page:
    query = select(User)
    if text:
        query = query.where(_name_or_email_contains(text))
    return paginate(work.session(), query, User, cursor)


def _name_or_email_contains(text: str):
    """Case-insensitive substring match on name or email (LIKE wildcards typed are literal)."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(
        func.lower(User.full_name).like(pattern, escape="\\"),
        func.lower(User.email).like(pattern, escape="\\"),
    )


def find_user(user_id: int) -> User | None:
    return work.session().get(User, user_id)


def find_user_by_email(email: str) -> User | None:
    """Case-insensitive, as sign-in matches it."""
    return work.session().scalar(
        select(User).where(func.lower(User.email) == email.strip().lower())
    )


def list_users(role: str | None = None, search: str | None = None) -> list[User]:
    """Every user (optionally of one role, or matching `search` in email or name), oldest first."""
    query = select(User).order_by(User.id)
    if role:
        query = query.where(User.role == role)
    if search:
        query = query.where(_name_or_email_contains(search.strip()))
    return list(work.session().scalars(query))


@dataclass
class UserDetail:
    user: User
    accounts: list[Account]
    movements: list[Entry]
    audit_events: list[AuditEvent]


def user_detail(user_id: int) -> UserDetail | None:
    user = find_user(user_id)
    if user is None:
        return None
    session = work.session()
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


# Changing -----------------------------------------------------------------------------
def _change(kind: str, user_id: int, *, actor: Actor, reason: str) -> User | PendingAdminAction:
    """Apply a `user_changes` entry now, or queue it when an admin acts on an admin."""
    with work.unit_of_work() as session:
        user = changes.prepare_change(session, kind, user_id, actor_id=actor.user_id)
        queue = user.is_admin and guards.needs_second_admin(actor)
        if not queue:
            changes.USER_CHANGES[kind].apply(session, user, actor, reason, {})
    if queue:  # the row lock went with the commit above; the change waits for a checker
        return dual_control.submit_user_change(kind, user_id, actor=actor, reason=reason)
    return user


def lock_user(user_id: int, *, actor: Actor, reason: str) -> User | PendingAdminAction:
    """Lock the user out and end their sessions (a new session token signs them out)."""
    return _change(changes.LOCK, user_id, actor=actor, reason=reason)


def demote_admin(user_id: int, *, actor: Actor, reason: str) -> User | PendingAdminAction:
    """Make an admin a customer again; never yourself, never the last active admin.

    The web can only take the admin role away, never give it: administrators are made
    on the server (`flask create-admin`, `flask users promote`), so a stolen admin
    session cannot mint more admins.
    """
    return _change(changes.DEMOTE, user_id, actor=actor, reason=reason)


def reset_two_factor(user_id: int, *, actor: Actor, reason: str) -> User | PendingAdminAction:
    """Clear the TOTP secret and every recovery code, so the user can enrol again."""
    return _change(changes.TWO_FACTOR_RESET, user_id, actor=actor, reason=reason)


def unlock_user(user_id: int, *, actor: Actor, reason: str) -> User:
    """Let the user sign in again: lifts an admin's lock and a failed-sign-in lockout."""
    with work.unit_of_work() as session:
        guards.refuse_own_user(user_id, actor.user_id)
        user = changes.locked_user(session, user_id)
        if not user.is_locked and user.lockout_until is None and not user.failed_logins:
            raise AdminActionRefused("That user is not locked.")
        user.is_locked = False
        user.locked_reason = None
        user.failed_logins = 0
        user.lockout_until = None
        changes.record(session, "admin.user.unlock", actor, user, reason=reason)
    return user


def promote_user(user_id: int, *, actor: Actor, reason: str) -> User:
    """Make a customer an admin: only from the server, and only someone who owns no account.

    An admin who owns an account could credit it and withdraw the money (issue 12), so
    a user with open accounts is refused: admins are separate, account-less users.
    """
    if guards.needs_second_admin(actor):
        raise AdminActionRefused("Admins are made only on the server, never from the web.")
    with work.unit_of_work() as session:
        user = changes.locked_user(session, user_id)
        if user.role == ROLE_ADMIN:
            raise AdminActionRefused("That user is already an admin.")
        open_accounts = session.scalar(
            select(func.count(Account.id)).where(
                Account.owner_id == user.id, Account.status != AccountStatus.CLOSED.value
            )
        )
        if open_accounts:
            raise AdminActionRefused(
                f"{user.email} has {open_accounts} open account(s); an admin must not own "
                "accounts. Create a separate admin user with `flask create-admin`, or close "
                "the accounts first."
            )
        user.role = ROLE_ADMIN
        user.rotate_session_token()  # privileges changed: start from a fresh sign-in
        changes.record(
            session,
            changes.ROLE_CHANGE,
            actor,
            user,
            reason=reason,
            old=ROLE_CUSTOMER,
            new=ROLE_ADMIN,
        )
    return user


def force_password_reset(user_id: int, *, actor: Actor, reason: str) -> User:
    """Sign the user out everywhere and email them a reset link.

    The sign-out and its audit row commit first; the email is queued for the worker, so
    a mail outage delays it (and, if it gives up, lists it under Failed jobs) instead of
    undoing or hiding what was done.
    """
    with work.unit_of_work() as session:
        # Your own password: the profile page, not admin powers.
        guards.refuse_own_user(user_id, actor.user_id)
        user = changes.locked_user(session, user_id)
        user.rotate_session_token()
        changes.record(session, "admin.user.password_reset", actor, user, reason=reason)
    # Queued after the commit: the worker sends it (and retries while the mail server is
    # down; a delivery that gives up shows in Admin -> Failed jobs, with a Retry button).
    outgoing_mail.queue_user_email(outgoing_mail.PASSWORD_RESET, user)
    return user
