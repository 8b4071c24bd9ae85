"""Identity services: creating customers and admins (views and the CLI both call these)."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from banking.accounts.services import open_account
from banking.auth.passwords import hash_password
from banking.models import User
from banking.models.user import ROLE_ADMIN, ROLE_CUSTOMER


class EmailInvalid(ValueError):
    pass


def normalize_email(email: str) -> str:
    """The stored form: validated, domain lower-cased, then the whole address lower-cased
    so uniqueness is case-insensitive."""
    try:
        result = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise EmailInvalid(str(exc)) from exc
    return result.normalized.lower()


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def create_user(
    session: Session,
    *,
    full_name: str,
    email: str,
    password: str,
    role: str = ROLE_CUSTOMER,
    currency: str = "USD",
) -> User:
    """Create a user (customers also get their first checking account); caller commits."""
    user = User(
        full_name=full_name.strip(),
        email=normalize_email(email),
        password_hash=hash_password(password),
        role=role,
    )
    session.add(user)
    session.flush()
    if role == ROLE_CUSTOMER:
        open_account(session, user.id, currency=currency)
    return user


def create_admin(session: Session, *, full_name: str, email: str, password: str) -> User:
    return create_user(
        session, full_name=full_name, email=email, password=password, role=ROLE_ADMIN
    )
