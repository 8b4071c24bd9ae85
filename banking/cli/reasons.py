"""The `--reason` an operator must give for a command that takes access or money away.

Shared so that `accounts freeze` and `users lock` refuse a blank reason the same way and
store the same (length-capped) text on the row and in the audit trail.
"""

from __future__ import annotations

import click

REASON_MAX_LENGTH = 200  # the width of the reason columns on accounts and users


def required_reason(reason: str) -> str:
    """The stripped reason, capped to fit its column; a blank one is a usage error."""
    reason = reason.strip()
    if not reason:
        raise click.BadParameter("Give a reason.", param_hint="--reason")
    return reason[:REASON_MAX_LENGTH]
