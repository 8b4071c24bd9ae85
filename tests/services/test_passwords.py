"""Password rules (NIST SP 800-63B), argon2id hashing, and TOTP/recovery-code primitives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from argon2 import PasswordHasher

from banking.core.models import User
from banking.services import passwords, two_factor
from banking.web.sessions import is_safe_next


@pytest.mark.parametrize("password", ["password1234", "qwertyuiop123", "PASSWORD1234"])
def test_common_passwords_are_refused_in_any_case(password):
    assert "That password is too common; choose another." in passwords.password_problems(password)


def test_bundled_list_has_hundreds_of_entries_and_no_comment_lines():
    common = passwords.common_passwords()
    assert len(common) >= 300
    assert not any(entry.startswith("#") for entry in common)


def test_twelve_characters_is_enough():
    assert passwords.password_problems("abcdefghijkz") == []


def test_eleven_characters_is_too_short():
    assert passwords.password_problems("abcdefghijk") == ["Use at least 12 characters."]


def test_128_characters_allowed_129_refused():
    assert passwords.password_problems("z" * 128) == []
    assert passwords.password_problems("z" * 129) == ["Use at most 128 characters."]


def test_no_composition_rules():
    assert passwords.password_problems("all lowercase words here") == []
    assert passwords.password_problems("пароль очень длинный") == []


def test_email_local_part_is_refused_inside_the_password():
    problems = passwords.password_problems("xx-JaneDoe-2024-xx", "janedoe@example.com")
    assert "Don't use your email address in your password." in problems


def test_hash_is_argon2id_and_verifies():
    hashed = passwords.hash_password("plum tractor quietly")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify_password(hashed, "plum tractor quietly")
    assert not passwords.verify_password(hashed, "plum tractor quietly!")


def test_verify_without_a_hash_is_false():
    assert passwords.verify_password(None, "not-a-real-password-just-for-timing") is False


def test_garbage_hash_is_false_not_an_error():
    assert passwords.verify_password("not a hash", "anything at all") is False


def test_old_parameters_need_a_rehash():
    old = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("x" * 12)
    assert passwords.needs_rehash(old)
    assert not passwords.needs_rehash(passwords.hash_password("x" * 12))


NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def totp_user() -> tuple[User, pyotp.TOTP]:
    secret = pyotp.random_base32()
    return User(totp_secret=secret, totp_last_counter=None), pyotp.TOTP(secret)


@pytest.mark.parametrize("offset", [-30, 0, 30])
def test_totp_accepts_one_step_either_side(offset):
    user, totp = totp_user()
    assert two_factor.verify_totp(user, totp.at(NOW + timedelta(seconds=offset)), now=NOW)


@pytest.mark.parametrize("offset", [-60, 60])
def test_totp_refuses_two_steps_away(offset):
    user, totp = totp_user()
    assert not two_factor.verify_totp(user, totp.at(NOW + timedelta(seconds=offset)), now=NOW)


def test_totp_refuses_a_replayed_code():
    user, totp = totp_user()
    code = totp.at(NOW)
    assert two_factor.verify_totp(user, code, now=NOW)
    assert not two_factor.verify_totp(user, code, now=NOW)


def test_totp_refuses_an_older_step_after_a_newer_one():
    user, totp = totp_user()
    assert two_factor.verify_totp(user, totp.at(NOW), now=NOW)
    assert not two_factor.verify_totp(user, totp.at(NOW - timedelta(seconds=30)), now=NOW)


def test_totp_ignores_spaces_and_refuses_non_digits():
    user, totp = totp_user()
    code = totp.at(NOW)
    assert not two_factor.verify_totp(user, "abcdef", now=NOW)
    assert two_factor.verify_totp(user, f"{code[:3]} {code[3:]}", now=NOW)


def test_qr_code_is_an_svg_data_uri():
    uri = two_factor.qr_code_data_uri("otpauth://totp/Bank:a@example.com?secret=ABC")
    assert uri.startswith("data:image/svg+xml")


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/accounts/3", True),
        ("/auth/profile?tab=2", True),
        ("https://evil.example/", False),
        ("//evil.example", False),
        ("/\\evil.example", False),
        ("javascript:alert(1)", False),
        ("", False),
        (None, False),
        ("relative/path", False),
    ],
)
def test_only_local_paths_are_safe_next_targets(target, safe):
    assert is_safe_next(target) is safe
