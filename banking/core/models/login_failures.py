"""Failed sign-ins against email addresses that have no account.

A real account counts its failures in `users.failed_logins` / `lockout_until`. An
address with no account needs the same two numbers somewhere, and it used to keep them
in the cache: while Redis was down those failures were not counted at all, so probing
an unknown address never locked while probing a real one did -- an outage turned the
lockout into an oracle for which addresses have an account. Kept in the database, next
to the real counts, both kinds behave alike in every state of the cache.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from banking.core.models.base import Base


class UnknownLoginFailure(Base):
    __tablename__ = "unknown_login_failures"

    # HMAC-SHA256 of the normalized address (hex), keyed by SECRET_KEY: the table is not
    # a list of the addresses someone typed.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    lockout_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # For purging rows nobody has tried for a long time (see lockout.UNKNOWN_RETENTION).
    last_failure_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
