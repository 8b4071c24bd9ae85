"""In-app notifications and each customer's email choice per notification kind."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, false, text
from sqlalchemy.orm import Mapped, mapped_column

from banking.core.models.base import Base, IdType, utcnow


class Notification(Base):
    """One message in a user's inbox, worded when the event happened.

    Title and body are final text (no account number beyond its last four digits), so the
    inbox, the email and the header's unread count need nothing but this row. `link` is a
    path inside the app (never a full URL): the inbox prefixes the script root, an email
    the configured public base URL.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        # The inbox pages newest first by id; the unread count reads (user_id, read_at).
        Index("ix_notifications_user_id_id", "user_id", "id"),
        Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
        # The email outbox: only the pending rows, so the sweep is an index probe whatever
        # the table's size (migration 0014).
        Index(
            "ix_notifications_email_pending",
            "id",
            postgresql_where=text("email_pending"),
            sqlite_where=text("email_pending"),
        ),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(String(500))
    link: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The email is still to be considered by the worker's sweep of the outbox (a service
    # above the core), which clears it with the delivery record.
    # A new row is pending unless its kind never emails (`notifications.build` decides);
    # the server default (false) is what rows from before the outbox got: never emailed.
    email_pending: Mapped[bool] = mapped_column(Boolean, default=True, server_default=false())

    @property
    def is_unread(self) -> bool:
        return self.read_at is None

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind} user={self.user_id}>"


class NotificationPreference(Base):
    """A user's email choice for one kind. No row: the kind's default (email on).

    Security kinds always email whatever a row says (`banking.core.notifications`).
    """

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[bool] = mapped_column(Boolean, default=True)
