"""`flask users ...`: operators list, lock, unlock, promote and demote users.

Each change runs the same service as the admin page (`banking.services.admin.users`):
the same row lock, refusals and audit action (`admin.user.lock`, `admin.user.unlock`,
`admin.user.role`), with actor none and `via: cli` (the CLI has no signed-in user), so
the trail shows who-or-what changed an account's access even when done from a shell.
Every change needs a reason, as on the web. Unlike the web, a change to another admin
applies at once: the operator at the server is the one who makes admins in the first
place (see `guards.needs_second_admin`).
"""

from __future__ import annotations

from functools import partial

import click
from flask import Flask
from flask.cli import AppGroup

from banking.cli.reasons import reason_command
from banking.core.models import User
from banking.core.models.user import ROLE_ADMIN, ROLE_CUSTOMER
from banking.services.admin import users as user_actions

users_cli = AppGroup("users", help="List users and change their access (lock, roles).")


def register(app: Flask) -> None:
    app.cli.add_command(users_cli)


def _user_id_or_fail(email: str) -> int:
    user = user_actions.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No user with email {email!r}.")
    return user.id


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
    users = user_actions.list_users(role, search)
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


# Each change: `flask users NAME EMAIL --reason R`, running the admin page's service.
_user_command = partial(reason_command, users_cli, argument="email", find=_user_id_or_fail)


@_user_command(
    "lock",
    user_actions.lock_user,
    reason_help="Why the user is locked (stored with the user and in the audit trail).",
)
def lock_user(user: User) -> str:
    """Lock EMAIL out: they cannot sign in, and their current sessions end."""
    return f"Locked {user.email}."


@_user_command(
    "unlock",
    user_actions.unlock_user,
    reason_help="Why the user may sign in again (recorded in the audit trail).",
)
def unlock_user(user: User) -> str:
    """Let EMAIL sign in again (also clears a failed-sign-in lockout)."""
    return f"Unlocked {user.email}."


@_user_command(
    "promote",
    user_actions.promote_user,
    reason_help="Why the user becomes an admin (recorded in the audit trail).",
)
def promote_user(user: User) -> str:
    """Make EMAIL an admin (their current sessions end, so they sign in again as admin).

    Refused while EMAIL has open accounts: an admin who owns an account could credit it
    and withdraw the money (issue 12). Admins are separate, account-less users; the
    customer keeps their own login, and the admin gets another (`flask create-admin`).
    """
    return f"{user.email} is now an admin."


@_user_command(
    "demote",
    user_actions.demote_admin,
    reason_help="Why the admin becomes a customer (recorded in the audit trail).",
)
def demote_user(user: User) -> str:
    """Make admin EMAIL a customer again; the last active admin cannot be demoted."""
    return f"{user.email} is now a customer."
