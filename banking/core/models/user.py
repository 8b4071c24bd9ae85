"""Customers and admins, and the two-factor recovery codes that belong to them."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from banking.core.models.base import Base, IdType, utcnow

ROLE_CUSTOMER = "customer"
ROLE_ADMIN = "admin"


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    full_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=ROLE_CUSTOMER)
    # Flask-Login's id is this token, not the primary key: bumping it on a password
    # change signs out every other session of the user.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    is_locked: Mapped[bool] = mapped_column(Boolean, default=False)  # by an admin
    locked_reason: Mapped[str | None] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    lockout_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_last_counter: Mapped[int | None] = mapped_column(BigInteger)  # replay protection
    password_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the owner proved the address is theirs (followed the sign-up link or a reset
    # link). None only for a self-service sign-up still waiting for that proof: such an
    # account cannot sign in, so an address typed by someone else never becomes a
    # working account in its owner's name.
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Up to when the customer has seen how their held transfers were decided: the
    # dashboard announces a decision made after it until they dismiss it. None: nothing
    # seen yet (existing users were stamped by migration 0008).
    decisions_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    accounts = relationship("Account", back_populates="owner", lazy="select")
    recovery_codes = relationship(
        "RecoveryCode", back_populates="user", cascade="all, delete-orphan", lazy="select"
    )

    # The user protocol Flask-Login expects (it duck-types; the core never imports it).
    # A locked user is refused at sign-in and on each request by the web layer, so every
    # loaded user is "active" here.
    is_active = True
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        """Flask-Login's id: the session token, not the primary key (see above)."""
        return self.session_token

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN

    @property
    def is_email_verified(self) -> bool:
        return self.email_verified_at is not None

    def rotate_session_token(self) -> None:
        self.session_token = new_session_token()

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class RecoveryCode(Base):
    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user = relationship("User", back_populates="recovery_codes")
