"""What every operator command shares: the `--reason`, the actor, and how refusals print.

Shared so that `accounts freeze` and `users lock` refuse a blank reason the same way and
store the same (length-capped) text on the row and in the audit trail, and so that a
service's refusal reads the same in a terminal as on the admin page. `reason_command`
builds the commands that change one row for a reason: they differ only in names and
strings, so their steps are written once here and cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import click

from banking.core.errors import DomainError
from banking.services.actor import Actor

REASON_MAX_LENGTH = 200  # the width of the reason columns on accounts and users
# The commands identify no signed-in person: the audit rows say actor none, via cli.
CLI = Actor.cli()
T = TypeVar("T")


def required_reason(reason: str) -> str:
    """The stripped reason, capped to fit its column; a blank one is a usage error."""
    reason = reason.strip()
    if not reason:
        raise click.BadParameter("Give a reason.", param_hint="--reason")
    return reason[:REASON_MAX_LENGTH]


@contextmanager
def refused() -> Iterator[None]:
    """Turn a service's refusal into the command's error: its message, exit status 1."""
    try:
        yield
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc


def reason_command(
    group: click.Group,
    name: str,
    service: Callable[..., T],
    *,
    argument: str,
    find: Callable[[str], int],
    reason_help: str,
) -> Callable[[Callable[[T], str]], click.Command]:
    """Make `done(changed) -> message` the command `GROUP NAME ARGUMENT --reason R`.

    The command checks the reason, finds the target's id (`find` raises a ClickException
    for an unknown one), runs `service(target_id, actor=CLI, reason=...)` (a refusal
    prints its message and exits 1) and echoes `done` of what the service returned.
    `done`'s docstring is the command's help.
    """

    def decorate(done: Callable[[T], str]) -> click.Command:
        @click.argument(argument)
        @click.option("--reason", required=True, help=reason_help)
        def command(reason: str, **target: str) -> None:
            reason = required_reason(reason)
            target_id = find(target[argument])
            with refused():
                changed = service(target_id, actor=CLI, reason=reason)
            click.echo(done(changed))

        return group.command(name, help=done.__doc__)(command)

    return decorate
