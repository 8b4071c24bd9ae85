"""Signed, expiring, single-use links for emails, without a tokens table.

A token carries the user id and a fingerprint of the account fields that the link's
use changes (the password hash for a reset, the verification state for sign-up), so
using the link once, or any other change to those fields, kills every copy of it; its
signed timestamp makes it expire. Each kind of link has its own salt, so a token made
for one can never pass as the other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from banking.core.models import User


def signing_keys() -> list[str]:
    """The previous keys, then the current one: itsdangerous signs with the last and accepts
    any, so links mailed before a SECRET_KEY rotation keep working until they expire (the
    same order Flask 3.1 uses for SECRET_KEY_FALLBACKS and the session cookie)."""
    config = current_app.config
    return [*config.get("SECRET_KEY_FALLBACKS", []), config["SECRET_KEY"]]


@dataclass(frozen=True)
class SignedLink:
    salt: str
    material: Callable[[User], str]  # what using the link changes
    max_age_seconds: Callable[[], int]  # read from config when checked

    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(signing_keys(), salt=self.salt)

    def _fingerprint(self, user: User) -> str:
        return hashlib.sha256(self.material(user).encode()).hexdigest()[:24]

    def token_for(self, user: User) -> str:
        return self._serializer().dumps({"uid": user.id, "fp": self._fingerprint(user)})

    def user_for(self, session: Session, token: str) -> User | None:
        """The user the token was made for, or None when forged, expired or used up."""
        try:
            data = self._serializer().loads(token, max_age=self.max_age_seconds())
        except (SignatureExpired, BadSignature):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
            return None
        user = session.get(User, data["uid"])
        if user is None or data.get("fp") != self._fingerprint(user):
            return None
        return user
