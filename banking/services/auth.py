"""Identity services: sign-up, sign-in, password changes (views and the CLI call these).

The use cases the web calls (`register_customer`, `sign_in`, `sign_in_second_factor`,
`sign_out`, `confirm_email`, `reset_password`) own their unit of work on the app's
session: they commit the change with its audit rows, or roll back and raise. The steps
they are made of (`authenticate`, `check_second_factor`, `complete_sign_in`,
`set_password`, `mark_email_verified`, ...) take a session and never
commit, so a use case (or the CLI, or a test) can put several in one transaction.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from banking.core import notifications as notices
from banking.core.models import User
from banking.core.models.base import update_if, utcnow
from banking.core.models.user import ROLE_ADMIN, ROLE_CUSTOMER
from banking.extensions import db
from banking.services import auth_events as events
from banking.services import lockout, two_factor
from banking.services import notifications as notify
from banking.services.accounts import default_currency, open_account
from banking.services.audit import record
from banking.services.passwords import (
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)


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
    email_verified: bool = True,
) -> User:
    """Create a user (customers also get their first checking account); caller commits.

    Verified by default: the operator's CLI, the demo seed and the tests vouch for the
    address they type. Only the public sign-up, where anyone may type anyone's address,
    passes `email_verified=False` and waits for the emailed link.
    """
    user = User(
        full_name=full_name.strip(),
        email=normalize_email(email),
        password_hash=hash_password(password),
        role=role,
        email_verified_at=utcnow() if email_verified else None,
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


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


# --- Sign-up, sign-in and password changes ------------------------------------------
# Views parse forms and render; these functions decide and write the audit trail.


class PasswordRejected(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


class LoginStatus(enum.Enum):
    SUCCESS = "success"
    NEEDS_SECOND_FACTOR = "needs_second_factor"
    INVALID = "invalid"
    LOCKED_OUT = "locked_out"  # too many failures: temporary
    DISABLED = "disabled"  # locked by an admin
    UNVERIFIED = "unverified"  # right password, but the sign-up link was never followed


@dataclass(frozen=True)
class Signup:
    """What a sign-up did: `created` a new, unverified user, or found the address taken.

    The view answers both the same way; only the email sent (and the audit row) differ.
    """

    user: User
    created: bool


@dataclass(frozen=True)
class LoginOutcome:
    status: LoginStatus
    user: User | None = None


def check_new_password(password: str, email: str) -> None:
    problems = password_problems(password, email)
    if problems:
        raise PasswordRejected(problems)


def register_customer(*, full_name: str, email: str, password: str) -> Signup:
    """Sign-up, answering the same whether or not the address already has an account.

    The password rules are checked before the address is looked up, so a rejected
    password says nothing about the address. A taken address costs what a new one does
    (one argon2 hash, one audit row) and changes nothing on the existing account: its
    owner is told by email instead (see `banking.services.verification`). A new user is
    created unverified and cannot sign in until the emailed link is followed.

    Committed; `EmailInvalid` and `PasswordRejected` leave nothing behind.
    """
    session = db.session
    try:
        signup = _register(session, full_name, email, password)
    except (EmailInvalid, PasswordRejected):
        session.rollback()
        raise
    session.commit()
    return signup


def _register(session: Session, full_name: str, email: str, password: str) -> Signup:
    normalized = normalize_email(email)
    check_new_password(password, normalized)
    existing = find_user_by_email(session, normalized)
    if existing is None:
        try:
            with session.begin_nested():
                user = create_user(
                    session,
                    full_name=full_name,
                    email=normalized,
                    password=password,
                    currency=default_currency(),
                    email_verified=False,
                )
        except IntegrityError:  # a concurrent sign-up took the address first
            existing = find_user_by_email(session, normalized)
            if existing is None:
                raise
        else:
            events.record_own(events.SIGNUP, user.id, session=session)
            return Signup(user, created=True)
    else:
        hash_password(password)  # the cost create_user pays: no timing difference
    record(
        events.SIGNUP_EXISTING_EMAIL,
        target_type="user",
        target_id=existing.id,
        success=False,
        session=session,
    )
    return Signup(existing, created=False)


def _login_failed(session: Session, user: User | None, reason: str) -> None:
    record(
        events.LOGIN_FAILED,
        actor_id=user.id if user else None,
        target_type="user" if user else None,
        target_id=user.id if user else None,
        success=False,
        details={"reason": reason},
        session=session,
    )


def sign_in(
    email: str, password: str, *, known_device: Callable[[int], bool] | None = None
) -> LoginOutcome:
    """The password step, committed: a failure's count and audit row, or (when no code
    is needed) the completed sign-in. The caller starts the session on SUCCESS.

    `known_device(user_id)` says whether the browser asking has signed in as that user
    before (the web layer knows); a completed sign-in from one it has not writes a
    security notification."""
    session = db.session
    outcome = authenticate(session, email, password)
    if outcome.status is LoginStatus.SUCCESS:
        complete_sign_in(session, outcome.user, known_device=known_device)
    session.commit()
    notify.dispatch(session)
    return outcome


def sign_in_second_factor(
    user: User, code: str, *, known_device: Callable[[int], bool] | None = None
) -> LoginOutcome:
    """The code step, committed: the spent code and completed sign-in, or the failure
    count and its audit row. The caller starts the session on SUCCESS."""
    session = db.session
    outcome = check_second_factor(session, user, code)
    if outcome.status is LoginStatus.SUCCESS:
        complete_sign_in(session, user, method="two_factor", known_device=known_device)
    session.commit()
    notify.dispatch(session)
    return outcome


def sign_out(user: User) -> None:
    """Audit the sign-out and rotate the session token, committed.

    The session lives in a signed cookie: a copy of it (or of the remember cookie) would
    still load this user unless the token it carries stops matching. Signs out everywhere.
    """
    events.record_own(events.LOGOUT, user.id)
    user.rotate_session_token()
    db.session.commit()


def authenticate(session: Session, email: str, password: str) -> LoginOutcome:
    """The password step. Unknown email and wrong password cost the same and look the same."""
    now = utcnow()
    try:
        address = normalize_email(email)
    except EmailInvalid:
        address = email.strip().lower()
    user = find_user_by_email(session, address)
    if user is None:
        verify_password(None, password)
        locked = lockout.register_unknown_failure(address, now)
        _login_failed(session, None, "unknown_email")
        return LoginOutcome(LoginStatus.LOCKED_OUT if locked else LoginStatus.INVALID)
    if lockout.is_locked_out(user, now):
        verify_password(None, password)
        _login_failed(session, user, "locked_out")
        return LoginOutcome(LoginStatus.LOCKED_OUT)
    lockout.expire_if_due(user, now)
    if not verify_password(user.password_hash, password):
        return _count_failure(session, user, now, "bad_password")
    if user.is_locked:
        _login_failed(session, user, "account_locked")
        return LoginOutcome(LoginStatus.DISABLED)
    if user.email_verified_at is None:
        # Said only after the right password: without it this path looks exactly like
        # a wrong password, so it tells a stranger nothing about the address.
        _login_failed(session, user, "email_unverified")
        return LoginOutcome(LoginStatus.UNVERIFIED, user)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if user.totp_enabled:
        return LoginOutcome(LoginStatus.NEEDS_SECOND_FACTOR, user)
    return LoginOutcome(LoginStatus.SUCCESS, user)


def _count_failure(session: Session, user: User, now, reason: str) -> LoginOutcome:
    """One more consecutive failure (password or code); the threshold-th one locks.

    The lockout event is written once, by the failure that set the lock; a concurrent
    failure past the threshold answers "locked" too, without a duplicate event.
    """
    failure = lockout.register_failure(user, now)
    if reason == "bad_second_factor":
        events.record_own(events.TWO_FACTOR_FAILED, user.id, success=False, session=session)
    else:
        _login_failed(session, user, reason)
    if failure.newly_locked:
        events.record_own(
            events.LOCKOUT,
            user.id,
            success=False,
            details={"failures": failure.count},
            session=session,
        )
    if failure.locked:
        return LoginOutcome(LoginStatus.LOCKED_OUT)
    return LoginOutcome(LoginStatus.INVALID)


def check_second_factor(session: Session, user: User, code: str) -> LoginOutcome:
    """The code step: a TOTP code or a recovery code; failures count toward the lockout."""
    now = utcnow()
    if lockout.is_locked_out(user, now) or user.is_locked:
        return LoginOutcome(LoginStatus.LOCKED_OUT)
    lockout.expire_if_due(user, now)
    kind = two_factor.verify_second_factor(session, user, code)
    if kind is None:
        return _count_failure(session, user, now, "bad_second_factor")
    if kind == "recovery":
        remaining = two_factor.remaining_recovery_codes(session, user)
        events.record_own(
            events.RECOVERY_CODE_USED, user.id, details={"remaining": remaining}, session=session
        )
    return LoginOutcome(LoginStatus.SUCCESS, user)


def complete_sign_in(
    session: Session,
    user: User,
    *,
    method: str = "password",
    known_device: Callable[[int], bool] | None = None,
) -> None:
    lockout.clear_failures(user)
    if known_device is not None:
        notify.note_sign_in_device(session, user, known_device)
    user.last_login_at = utcnow()
    events.record_own(events.LOGIN, user.id, details={"method": method}, session=session)


def set_password(session: Session, user: User, new_password: str) -> None:
    """Store a new password and sign out every other session (their id no longer loads)."""
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    user.rotate_session_token()
    lockout.clear_failures(user)


def set_new_password(session: Session, user: User, new: str) -> None:
    """The signed-in user's password change. The current password is checked first by
    `banking.services.reauth.confirm` (throttled, counted toward the lockout), never here."""
    check_new_password(new, user.email)
    set_password(session, user, new)
    events.record_own(events.PASSWORD_CHANGE, user.id, session=session)
    session.add(notices.password_changed(user.id, reset=False))


def reset_password(user: User, new: str) -> None:
    """A reset link reached the address's mailbox, so following it proves the address
    just as the sign-up link does: an unverified account is verified too (and the
    password chosen here replaces whatever a squatter may have set at sign-up).

    Committed; `PasswordRejected` leaves nothing behind."""
    session = db.session
    try:
        check_new_password(new, user.email)
    except PasswordRejected:
        session.rollback()
        raise
    set_password(session, user, new)
    events.record_own(events.PASSWORD_RESET, user.id, session=session)
    session.add(notices.password_changed(user.id, reset=True))
    mark_email_verified(session, user, via="password_reset")
    session.commit()


def confirm_email(user: User) -> bool:
    """The sign-up link's button: verify the address (once), committed."""
    won = mark_email_verified(db.session, user, via="signup_link")
    db.session.commit()
    return won


def mark_email_verified(session: Session, user: User, *, via: str) -> bool:
    """Record that the owner proved the address; True for the one request that did it.

    A conditional UPDATE, so two clicks on the same link at the same moment verify
    (and audit) once: the link is single-use even under a race.
    """
    won = update_if(session, user, User.email_verified_at.is_(None), email_verified_at=utcnow())
    if won:
        events.record_own(events.EMAIL_VERIFIED, user.id, details={"via": via}, session=session)
    return won
