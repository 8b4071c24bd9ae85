"""`current_user` for a signed-in request: a plain snapshot, never an ORM instance.

It comes from `banking.user_cache` (or from the users row on a miss) and carries only
what templates and guards read (`banking.user_cache.FIELDS`). It cannot lazy-load or
go stale inside a database session; a view that changes the user loads the row with
`banking.web.sessions.current_user_row()`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from banking.core.models.user import ROLE_ADMIN


class SessionUser:
    """Flask-Login's user protocol over a snapshot dict."""

    __slots__ = (
        "_token",
        "_unread",
        "email",
        "email_verified",
        "full_name",
        "id",
        "is_locked",
        "role",
        "totp_enabled",
    )

    is_active = True
    is_authenticated = True
    is_anonymous = False

    def __init__(
        self, snapshot: dict[str, Any], token: str, unread: int | Callable[[], int] = 0
    ) -> None:
        """`unread` is the unread notifications' count, or how to count them: only a page
        that shows the header's badge asks, so a form POST or a redirect never does."""
        self.id: int = snapshot["id"]
        self.email: str = snapshot["email"]
        self.full_name: str = snapshot["full_name"]
        self.role: str = snapshot["role"]
        self.is_locked: bool = snapshot["is_locked"]
        self.totp_enabled: bool = snapshot["totp_enabled"]
        self.email_verified: bool = snapshot["email_verified"]
        self._unread = unread
        self._token = token

    @property
    def unread_notifications(self) -> int:
        if not isinstance(self._unread, int):
            self._unread = self._unread()
        return self._unread

    def get_id(self) -> str:
        """Flask-Login's id: the session token, as `User.get_id` (never logged)."""
        return self._token

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN

    @property
    def is_email_verified(self) -> bool:
        return self.email_verified

    def __repr__(self) -> str:
        return f"<SessionUser {self.id} {self.role}>"
