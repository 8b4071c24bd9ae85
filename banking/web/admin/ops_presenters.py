"""Words for the operations pages: who ran a ledger check, what a failed job was doing.

A failed job's arguments are stored raw (they are what a retry sends again), but the page
shows them in words and never shows an email address in full: the "forgot password"
task carries whatever address someone typed, which may be nobody's account at all.
"""

from __future__ import annotations

from banking.core.models import FailedJob
from banking.services.ledger_checks import LastCheck

DOORS = {
    "worker": "the background worker",
    "web": "an admin",
    "cli": "the command line (flask ledger verify)",
}
TASK_LABELS = {
    "banking.send_user_email": "Email to a user",
    "banking.send_reset_for_address": "Password reset email (by address)",
    "banking.run_due_transfers": "Run due scheduled transfers",
    "banking.expire_holds": "Release expired holds",
    "banking.accrue_interest": "Monthly savings interest",
    "banking.produce_statements": "Monthly statement documents",
    "banking.verify_ledger": "Ledger verification",
    "banking.heartbeat": "Worker heartbeat",
}
EMAIL_KINDS = {
    "password_reset": "password reset",
    "email_verification": "email address verification",
    "signup_existing_email": "sign-up with an existing address",
    "password_changed": "password changed notice",
}


def ran_by(last: LastCheck | None) -> str:
    """"the background worker", "Alice Admin (alice@bank.test)", ..."""
    if last is None:
        return ""
    if last.actor is not None:
        return f"{last.actor.full_name} ({last.actor.email})"
    return DOORS.get(last.check.via, last.check.via)


def task_label(name: str) -> str:
    return TASK_LABELS.get(name, name)


def mask_address(address: object) -> str:
    """"a•••@example.com": enough to tell two jobs apart, not enough to harvest."""
    text = str(address)
    local, at, domain = text.rpartition("@")
    if not at:
        return "•••"
    return f"{local[:1]}•••@{domain}"


def job_details(job: FailedJob) -> str:
    """What the job was about, in words (never a raw address, never the request origin)."""
    args, kwargs = list(job.args or []), dict(job.kwargs or {})
    if job.task_name == "banking.send_user_email" and len(args) >= 2:
        return EMAIL_KINDS.get(str(args[0]), str(args[0]))  # the user: see job_user_id
    if job.task_name == "banking.send_reset_for_address" and args:
        return f"to {mask_address(args[0])}"
    if job.task_name in ("banking.accrue_interest", "banking.produce_statements"):
        period = kwargs.get("period") or (args[0] if args else None)
        return f"period {period}" if period else "the previous month"
    if job.task_name == "banking.verify_ledger":
        deep = kwargs.get("deep", args[0] if args else True)
        return "deep" if deep else "quick"
    return ""


def job_user_id(job: FailedJob) -> int | None:
    """The user an email job was for, to link to (admins see users anyway)."""
    args = list(job.args or [])
    if job.task_name == "banking.send_user_email" and len(args) >= 2:
        try:
            return int(args[1])
        except (TypeError, ValueError):
            return None
    return None
