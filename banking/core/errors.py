"""The one root of every refusal the product explains to a person.

A `DomainError` says what went wrong in words the person asking can act on (`message`),
a stable machine name for metrics, logs and tests (`code`), and, when a form field is at
fault, which one (`field`). The ledger, the services and the admin actions all raise
subclasses of it, so an adapter (a view, a command, a task) needs one `except` to turn
any refusal into a flash message, a form error, an exit code or a failed-job reason.
"""

from __future__ import annotations


class DomainError(Exception):
    """A refusal with a human message, a stable code and (optionally) the field at fault."""

    code: str = "refused"
    message: str = "This cannot be done."
    field: str | None = None

    def __init__(
        self, message: str | None = None, *, code: str | None = None, field: str | None = None
    ) -> None:
        self.message = message or type(self).message
        if code is not None:
            self.code = code
        if field is not None:
            self.field = field
        super().__init__(self.message)
