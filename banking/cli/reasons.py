"""What every operator command shares: the `--reason`, the actor, and how refusals print.

Shared so that `accounts freeze` and `users lock` refuse a blank reason the same way and
store the same (length-capped) text on the row and in the audit trail, and so that a
service's refusal reads the same in a terminal as on the admin page.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from banking.core.errors import DomainError
from banking.services.actor import Actor

REASON_MAX_LENGTH = 200  # the width of the reason columns on accounts and users
# The commands identify no signed-in person: the audit rows say actor none, via cli.
CLI = Actor.cli()


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
