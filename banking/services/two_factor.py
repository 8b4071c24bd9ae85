"""Time-based one-time passwords (RFC 6238) with replay protection, and recovery codes.

A code is accepted for the current 30-second step and one step either side (clock
drift), and only for a step later than the last one accepted, so a code seen over a
shoulder or replayed from a log cannot be used again.

Recovery codes carry 80 random bits, so a plain SHA-256 is enough to store them
safely (nothing to brute-force); a slow password hash would only make sign-in slow.

Spending a step or a recovery code is a conditional UPDATE whose row count says who
won, never a read-compare-write in Python: two requests racing with the same code
would both read "unused" and both sign in. On PostgreSQL the second UPDATE waits for
the first transaction's row lock, re-checks its WHERE against the committed row, and
matches nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from base64 import b32encode
from datetime import datetime

import pyotp
import segno
from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, object_session

from banking.core.models import RecoveryCode, User
from banking.core.models.base import update_if, utcnow

VALID_WINDOW = 1  # steps either side of now
RECOVERY_CODE_COUNT = 10
TOTP_PATTERN = re.compile(r"^\d{6}$")


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str, issuer: str | None = None) -> str:
    """The otpauth:// URI of the QR code; the app labels it with the bank's name (BANK_NAME)."""
    issuer = issuer or current_app.config["BANK_NAME"]
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def qr_code_data_uri(uri: str) -> str:
    """The QR code as an SVG data: URI, rendered here so the page needs no script."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def clean_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def verify_totp(
    user: User, code: str, secret: str | None = None, now: datetime | None = None
) -> bool:
    """Check `code` against the user's secret; on success remember its step (replay guard)."""
    secret = secret or user.totp_secret
    code = clean_code(code)
    if not secret or not TOTP_PATTERN.match(code):
        return False
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now or utcnow())
    last = user.totp_last_counter if user.totp_last_counter is not None else -1
    for counter in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if counter > last and hmac.compare_digest(totp.generate_otp(counter), code):
            return _claim_step(user, counter)
    return False


def _claim_step(user: User, counter: int) -> bool:
    """Record `counter` as the last accepted step, unless this or a later one already is.

    The check the loop above made on the loaded row may be stale (a concurrent request
    with the same code); the UPDATE's WHERE is the check that counts.
    """
    session = object_session(user)
    if session is None or user.id is None:
        user.totp_last_counter = counter  # not stored yet: nothing to race with
        return True
    return update_if(
        session,
        user,
        or_(User.totp_last_counter.is_(None), User.totp_last_counter < counter),
        totp_last_counter=counter,
    )


def _hash_code(code: str) -> str:
    return hashlib.sha256(clean_code(code).encode("ascii")).hexdigest()


def _new_recovery_code() -> str:
    raw = b32encode(secrets.token_bytes(10)).decode("ascii").lower()  # 16 chars, 80 bits
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def replace_recovery_codes(session: Session, user: User) -> list[str]:
    """Issue a fresh set (the old ones stop working); the plain codes are shown once."""
    for old in list(user.recovery_codes):
        session.delete(old)
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    for code in codes:
        session.add(RecoveryCode(user_id=user.id, code_hash=_hash_code(code)))
    session.flush()
    return codes


def use_recovery_code(session: Session, user: User, code: str) -> bool:
    """Spend one unused recovery code; True when it was valid (it is now used up)."""
    cleaned = clean_code(code)
    if len(cleaned) != 16:
        return False
    candidate = _hash_code(cleaned)
    unused = session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).all()
    for row in unused:
        if hmac.compare_digest(row.code_hash, candidate):
            return _spend(session, row)
    return False


def _spend(session: Session, row: RecoveryCode) -> bool:
    """Mark the code used if it still is unused; False when a concurrent request won."""
    return update_if(session, row, RecoveryCode.used_at.is_(None), used_at=utcnow())


def remaining_recovery_codes(session: Session, user: User) -> int:
    rows = session.scalars(
        select(RecoveryCode.id).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ).all()
    return len(rows)


def enable(session: Session, user: User, secret: str, code: str) -> list[str] | None:
    """Turn two-factor on once `code` proves the authenticator works; return recovery codes."""
    if not verify_totp(user, code, secret=secret):
        return None
    user.totp_secret = secret
    user.totp_enabled = True
    return replace_recovery_codes(session, user)


def disable(session: Session, user: User) -> None:
    user.totp_enabled = False
    user.totp_secret = None
    user.totp_last_counter = None
    for old in list(user.recovery_codes):
        session.delete(old)


def verify_second_factor(session: Session, user: User, code: str) -> str | None:
    """'totp' or 'recovery' for whichever the code is, None when it is neither."""
    if verify_totp(user, code):
        return "totp"
    if use_recovery_code(session, user, code):
        return "recovery"
    return None
