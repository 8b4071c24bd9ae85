"""Words the admin pages share: whose an account is, when a hold expires, the section menu.

Admins see full account numbers (they must find an account a customer reads out), but a
number alone says nothing: every page that lists a movement names the owner beside it,
and the bank's own accounts by their role ("The bank: External cash").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from babel.dates import format_timedelta
from flask import current_app

from banking.core.models import Account
from banking.core.models.base import as_utc

# What a dual-control request asks for (the queue, the decision pages, the audit log).
REQUEST_LABELS = {
    "adjustment": "Balance adjustment",
    "reversal": "Transaction reversal",
    "user.lock": "Lock an admin",
    "user.demote": "Remove admin role",
    "user.2fa_reset": "Reset an admin's two-factor authentication",
}


def owner_name(account: Account | None) -> str:
    """ "Alice Dubois", or "The bank: External cash" for a system account."""
    if account is None:
        return ""
    if account.owner is not None:
        return account.owner.full_name
    return f"The bank: {account.nickname}" if account.nickname else "The bank"


def account_with_owner(account: Account | None) -> str:
    """ "4000123412348391 (Alice Dubois)": a number never stands alone on an admin page."""
    if account is None:
        return ""
    return f"{account.number} ({owner_name(account)})"


def hold_expiry(expires_at: datetime | None, now: datetime | None = None) -> str:
    """ "expires in 2 days", "expired 3 hours ago": how long a held transfer has left.

    Days stay days up to two weeks (babel's threshold 2): "in 7 days" reads better to
    someone working a queue than "in 1 week". The exact date is shown beside it."""
    if expires_at is None:
        return ""
    delta = as_utc(expires_at) - (now or datetime.now(UTC))
    spoken = format_timedelta(
        delta,
        threshold=2,
        add_direction=True,
        locale=current_app.config.get("BABEL_LOCALE", "en_US"),
    )
    return f"expires {spoken}" if delta.total_seconds() > 0 else f"expired {spoken}"


@dataclass(frozen=True)
class Section:
    """One entry of the admin menu and the views that belong to it."""

    endpoint: str
    label: str
    also: tuple[str, ...] = ()
    # How wide the screen must be for the section to sit in the bar rather than under
    # "More": 1 always (a phone), 2 from a tablet's width, 3 only on a wide screen.
    tier: int = 3

    def holds(self, endpoint: str) -> bool:
        return endpoint == self.endpoint or endpoint in self.also


SECTIONS = (
    Section("admin.overview", "Overview", tier=1),
    Section(
        "admin.users",
        "Users",
        (
            "admin.user_detail",
            "admin.lock_user",
            "admin.unlock_user",
            "admin.change_role",
            "admin.reset_password",
            "admin.reset_two_factor",
        ),
        tier=1,
    ),
    Section(
        "admin.accounts",
        "Accounts",
        (
            "admin.account_detail",
            "admin.freeze_account",
            "admin.unfreeze_account",
            "admin.close_account",
            "admin.adjust_account",
        ),
        tier=1,
    ),
    Section(
        "admin.journal",
        "Journal",
        ("admin.transaction_detail", "admin.reverse_transaction"),
        tier=2,
    ),
    Section(
        "admin.reviews",
        "Review queue",
        ("admin.approve_transfer", "admin.reject_transfer"),
        tier=2,
    ),
    Section(
        "admin.pending_actions",
        "Second approval",
        ("admin.approve_pending", "admin.reject_pending"),
    ),
    Section("admin.audit_log", "Audit log", tier=2),
    Section("admin.integrity", "Ledger integrity"),
    Section("admin.failed_jobs_list", "Failed jobs", ("admin.retry_job",)),
    # Profile is not here: the header's account menu (base.html) carries it, with Sign
    # out, on every page, admin pages included.
)


@dataclass(frozen=True)
class MenuItem:
    endpoint: str
    label: str
    current: bool
    tier: int


def menu(endpoint: str | None) -> list[MenuItem]:
    """The admin menu with the section of `endpoint` marked (aria-current="page")."""
    return [MenuItem(s.endpoint, s.label, s.holds(endpoint or ""), s.tier) for s in SECTIONS]
