"""Password hashing (argon2id) and the sign-up password rules (NIST SP 800-63B)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, has_app_context

MIN_LENGTH = 12
MAX_LENGTH = 128


@lru_cache(maxsize=8)
def _hasher_for(time_cost: int | None, memory_cost: int | None) -> tuple[PasswordHasher, str]:
    """A hasher and its dummy hash per parameter set (None: the library's recommendation).

    The dummy hash is verified against when the email is unknown, so both answers take
    the same time.
    """
    kwargs = {}
    if time_cost:
        kwargs["time_cost"] = time_cost
    if memory_cost:
        kwargs["memory_cost"] = memory_cost
    hasher = PasswordHasher(**kwargs)
    return hasher, hasher.hash("not-a-real-password-just-for-timing")


def _current() -> tuple[PasswordHasher, str]:
    """Argon2id with the app's parameters: the library's defaults everywhere but the test
    suite, which lowers the cost so hundreds of sign-ups don't take minutes."""
    if has_app_context():
        config = current_app.config
        return _hasher_for(config.get("ARGON2_TIME_COST"), config.get("ARGON2_MEMORY_COST"))
    return _hasher_for(None, None)


def hash_password(password: str) -> str:
    """An argon2id hash with the parameters in force today."""
    return _current()[0].hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; with no hash, burn the same time and say no."""
    hasher, dummy = _current()
    try:
        return hasher.verify(password_hash or dummy, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with older parameters (rehash at the next sign-in)."""
    return _current()[0].check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The bundled deny-list, loaded once per process."""
    text = resources.files("banking.data").joinpath("common_passwords.txt").read_text("utf-8")
    lines = (line.strip().lower() for line in text.splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def password_problems(password: str, email: str = "") -> list[str]:
    """Why a new password is refused (empty list: acceptable). No composition rules."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        problems.append(f"Use at most {MAX_LENGTH} characters.")
    if password.lower() in common_passwords():
        problems.append("That password is too common; choose another.")
    local = email.split("@", 1)[0].lower() if email else ""
    if len(local) >= 3 and local in password.lower():
        problems.append("Don't use your email address in your password.")
    return problems
