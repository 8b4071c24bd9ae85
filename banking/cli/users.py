"""`flask users ...`: operators list, lock, unlock, promote and demote users.

Every change writes an audit row in the same commit (actor None: the CLI has no signed-in
user; details say `"via": "cli"`), so the trail shows who-or-what changed an account's
access even when it was done from a shell.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, or_, select

from banking.cli.reasons import required_reason
from banking.core.models import Account, AccountStatus, User
from banking.core.models.user import ROLE_ADMIN, ROLE_CUSTOMER
from banking.extensions import db
from banking.services import audit
from banking.services.auth import find_user_by_email

users_cli = AppGroup("users", help="List users and change their access (lock, roles).")


def register(app: Flask) -> None:
    app.cli.add_command(users_cli)


def _get_user_or_fail(email: str) -> User:
    user = find_user_by_email(db.session, email)
    if user is None:
        raise click.ClickException(f"No user with email {email!r}.")
    return user


def _audit(action: str, user: User, **details: object) -> None:
    audit.record(
        action,
        actor_id=None,
        target_type="user",
        target_id=user.id,
        success=True,
        details={"via": "cli", **details},
    )


@users_cli.command("list")
@click.option(
    "--role",
    type=click.Choice([ROLE_CUSTOMER, ROLE_ADMIN]),
    help="Only users with this role.",
)
@click.option(
    "--search",
    metavar="TEXT",
    help="Only users whose email or full name contains TEXT (case-insensitive).",
)
def list_users(role: str | None, search: str | None) -> None:
    """List users: id, email, role, status and name, oldest first."""
    query = select(User).order_by(User.id)
    if role:
        query = query.where(User.role == role)
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(
            or_(func.lower(User.email).like(pattern), func.lower(User.full_name).like(pattern))
        )
    users = db.session.scalars(query).all()
    if not users:
        click.echo("No users match.")
        return
    width = max(len(user.email) for user in users)
    for user in users:
        status = "locked" if user.is_locked else "active"
        click.echo(
            f"{user.id:>6}  {user.email:<{width}}  {user.role:<8}  {status:<6}  {user.full_name}"
        )
    click.echo(f"{len(users)} user(s).")


@users_cli.command("lock")
@click.argument("email")
@click.option(
    "--reason",
    required=True,
    help="Why the user is locked (stored with the user and in the audit trail).",
)
def lock_user(email: str, reason: str) -> None:
    """Lock EMAIL out: they cannot sign in, and their current sessions end."""
    reason = required_reason(reason)
    user = _get_user_or_fail(email)
    user.is_locked = True
    user.locked_reason = reason
    user.rotate_session_token()  # signs out every open session of this user
    _audit("user.lock", user, reason=reason)
    db.session.commit()
    click.echo(f"Locked {user.email}.")


@users_cli.command("unlock")
@click.argument("email")
def unlock_user(email: str) -> None:
    """Let EMAIL sign in again (also clears a failed-sign-in lockout)."""
    user = _get_user_or_fail(email)
    user.is_locked = False
    user.locked_reason = None
    user.failed_logins = 0
    user.lockout_until = None
    _audit("user.unlock", user)
    db.session.commit()
    click.echo(f"Unlocked {user.email}.")


@users_cli.command("promote")
@click.argument("email")
def promote_user(email: str) -> None:
    """Make EMAIL an admin (their current sessions end, so they sign in again as admin).

    Refused while EMAIL has open accounts: an admin who owns an account could credit it
    and withdraw the money (issue 12). Admins are separate, account-less users; the
    customer keeps their own login, and the admin gets another (`flask create-admin`).
    """
    user = _get_user_or_fail(email)
    if user.role == ROLE_ADMIN:
        click.echo(f"{user.email} is already an admin.")
        return
    open_accounts = db.session.scalar(
        select(func.count(Account.id)).where(
            Account.owner_id == user.id, Account.status != AccountStatus.CLOSED.value
        )
    )
    if open_accounts:
        raise click.ClickException(
            f"{user.email} has {open_accounts} open account(s); an admin must not own "
            "accounts. Create a separate admin user with `flask create-admin`, or close "
            "the accounts first."
        )
    user.role = ROLE_ADMIN
    user.rotate_session_token()
    _audit("user.promote", user, role_from=ROLE_CUSTOMER, role_to=ROLE_ADMIN)
    db.session.commit()
    click.echo(f"{user.email} is now an admin.")


@users_cli.command("demote")
@click.argument("email")
def demote_user(email: str) -> None:
    """Make admin EMAIL a customer again; the last active admin cannot be demoted."""
    user = _get_user_or_fail(email)
    if user.role != ROLE_ADMIN:
        click.echo(f"{user.email} is not an admin.")
        return
    other_admins = db.session.scalar(
        select(func.count(User.id)).where(
            User.role == ROLE_ADMIN, User.id != user.id, User.is_locked.is_(False)
        )
    )
    if not other_admins:
        raise click.ClickException(
            f"{user.email} is the last active admin; promote someone else first."
        )
    user.role = ROLE_CUSTOMER
    user.rotate_session_token()
    _audit("user.demote", user, role_from=ROLE_ADMIN, role_to=ROLE_CUSTOMER)
    db.session.commit()
    click.echo(f"{user.email} is now a customer.")
