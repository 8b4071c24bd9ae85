"""Who asked for a use case, and through which door.

A service needs the acting user (for the self-dealing refusals and the audit row's actor)
and the channel (so the trail tells a web click from a shell command or a background
job). Where the request came from (ip, request id) is not here: the web layer states it
once per request through `banking.core.audit`'s origin, so it is never passed around.
"""

from __future__ import annotations

from dataclasses import dataclass

CHANNELS = ("web", "cli", "worker")


@dataclass(frozen=True)
class Actor:
    """`user_id` is None when no person is signed in (a CLI command, a scheduled job)."""

    user_id: int | None
    via: str

    def __post_init__(self) -> None:
        if self.via not in CHANNELS:  # a typo would silently split the audit trail
            raise ValueError(f"unknown channel {self.via!r}; expected one of {CHANNELS}")

    @classmethod
    def web(cls, user_id: int) -> Actor:
        return cls(user_id, "web")

    @classmethod
    def cli(cls, user_id: int | None = None) -> Actor:
        return cls(user_id, "cli")

    @classmethod
    def worker(cls) -> Actor:
        return cls(None, "worker")
