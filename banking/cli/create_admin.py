"""`flask create-admin`: the only way to make an admin (sign-up only ever makes customers).

The password is read without echo from the terminal, or from stdin for scripts
(`--password-stdin`), never from an argument, which would land in the shell history and
the process list. It must pass the same rules as a customer's.
"""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import with_appcontext

from banking.cli.reasons import CLI, refused
from banking.services.admin import provisioning
from banking.services.admin.users import find_user_by_email
from banking.services.auth import EmailInvalid, normalize_email
from banking.services.passwords import password_problems


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.command("create-admin")
@click.option("--email", required=True, help="The admin's email (their sign-in name).")
@click.option(
    "--name",
    "full_name",
    default="Administrator",
    show_default=True,
    help="The admin's full name, shown in the admin pages and the audit trail.",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (for scripts).",
)
@with_appcontext
def create_admin_command(email: str, full_name: str, password_stdin: bool) -> None:
    """Create an admin user."""
    try:
        address = normalize_email(email)
    except EmailInvalid as exc:
        raise click.ClickException("That email address is not valid.") from exc
    if find_user_by_email(address) is not None:  # before asking for a password in vain
        raise click.ClickException(f"A user with email {address} already exists.")
    password = _read_password(password_stdin)
    problems = password_problems(password, address)
    if problems:
        raise click.ClickException("Password refused: " + " ".join(problems))
    with refused():
        provisioning.create_admin(email=address, full_name=full_name, password=password, actor=CLI)
    click.echo(f"Admin {address} created.")


def register(app: Flask) -> None:
    app.cli.add_command(create_admin_command)
