"""The audit log in words: one sentence per event instead of `amount: 4250; source_account_id: 19`.

Every action the app records maps to one phrase here ("moved $42.50 from ••••8391 to
••••8774", "froze account ••••8391: reason “court order”"); an action this table does not
know yet still reads as words ("Other event: note “x”"), never as a dict. The actor is its
own column, so a phrase starts with the verb.

Secrets: `core.audit.build` already drops any detail whose key looks secret before the row
is written; this presenter drops them again (an older row, or one written some other way,
must not show one either) and otherwise only reads the keys it names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for

from banking.core import categories
from banking.core.models import AuditEvent
from banking.core.redaction import SENSITIVE_KEYS
from banking.services.admin.queries import AuditReferences
from banking.web.admin.labels import REQUEST_LABELS
from banking.web.admin.ops_presenters import task_label
from banking.web.presenters import money


@dataclass(frozen=True)
class AuditLine:
    """One row of the audit table: the event, what happened in words, and what it was about."""

    event: AuditEvent
    sentence: str
    target: str
    target_url: str | None


def _as_id(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


class Told:
    """One event's details and the rows they name, with the phrasing helpers the table uses."""

    def __init__(self, event: AuditEvent, refs: AuditReferences) -> None:
        self.event = event
        self.refs = refs
        self.d: dict[str, Any] = {
            k: v for k, v in (event.details or {}).items() if not SENSITIVE_KEYS.search(str(k))
        }

    def get(self, key: str, default: Any = "") -> Any:
        value = self.d.get(key)
        return default if value is None else value

    def account(self, key: str | None = None, ident: object = None) -> str:
        """ "••••8391" for the account in detail `key` (or with id `ident`)."""
        ident = _as_id(self.d.get(key) if key else ident)
        found = self.refs.accounts.get(ident) if ident is not None else None
        if found is not None:
            return found.masked_number
        return "an account" if ident is None else f"account #{ident}"

    def currency(self) -> str:
        for key in ("source_account_id", "account_id"):
            found = self.refs.accounts.get(_as_id(self.d.get(key)))
            if found is not None:
                return found.currency
        txn = self.refs.transactions.get(_as_id(self.event.target_id))
        if self.event.target_type == "transaction" and txn is not None:
            return txn.source_account.currency
        return current_app.config.get("DEFAULT_CURRENCY", "USD")

    def amount(self, key: str = "amount") -> str:
        value = self.d.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            return "an amount"
        return money(value, self.currency())

    def user(self, ident: object = None) -> str:
        ident = _as_id(self.event.target_id if ident is None else ident)
        found = self.refs.users.get(ident) if ident is not None else None
        if found is not None:
            return found.full_name
        return "a user" if ident is None else f"user #{ident}"

    def reason(self, key: str = "reason") -> str:
        text = self.d.get(key)
        return f": reason “{text}”" if text else ""

    def approval(self) -> str:
        """Dual control: who approved the request this action carried out."""
        if not self.d.get("pending_action_id"):
            return ""
        checker = self.user(self.d.get("checker_id")) if self.d.get("checker_id") else "an admin"
        return f"; approved by {checker} (request #{self.d['pending_action_id']})"

    def request_target(self) -> str:
        kind, ident = self.d.get("target_type"), self.d.get("target_id")
        if kind == "account":
            return self.account(ident=ident)
        if kind == "user":
            return self.user(ident)
        if kind == "transaction":
            return f"transaction #{ident}"
        return f"{kind} #{ident}" if kind else "something"


def _adjustment(t: Told) -> str:
    amount, account = t.amount(), t.account("account_id")
    phrase = {
        "deposit": f"deposited {amount} into {account}",
        "withdrawal": f"withdrew {amount} from {account}",
        "credit": f"credited {account} with {amount} (correction)",
        "debit": f"debited {amount} from {account} (correction)",
    }.get(t.get("direction"), f"adjusted {account} by {amount}")
    return phrase + t.reason() + t.approval()


def _request(t: Told, verb: str) -> str:
    what = REQUEST_LABELS.get(t.get("kind"), str(t.get("kind") or "a change")).lower()
    amount = f" of {t.amount()}" if isinstance(t.d.get("amount"), int) else ""
    text = f"{verb} “{what}”{amount} on {t.request_target()}"
    if verb.startswith("asked"):
        return text + t.reason()
    return text + t.reason("rejection_reason" if "rejection_reason" in t.d else "reason")


def _role(t: Told) -> str:
    old, new = t.get("old"), t.get("new")
    return f"changed {t.user()}’s role from {old} to {new}" + t.reason() + t.approval()


def _ledger_check(t: Told) -> str:
    kind = "deep" if t.get("deep", True) else "quick"
    if t.get("ok") is True:
        return f"ran the {kind} ledger check: every invariant holds"
    return f"ran the {kind} ledger check: {t.get('breaches', 'some')} problem(s) found"


def _job_retry(t: Told) -> str:
    task = task_label(str(t.get("task")))
    if t.event.success is False:
        return f"could not hand “{task}” to the worker again ({t.get('error_type')})"
    return f"retried the failed job “{task}”" + t.reason()


def _interest_run(t: Told) -> str:
    return (
        f"ran the savings interest for {t.event.target_id}: {t.get('paid', 0)} account(s) paid "
        f"{t.amount('total_paid')}, {t.get('already_paid', 0)} already paid, "
        f"{t.get('failed', 0)} failed"
    )


def _statements_run(t: Told) -> str:
    return (
        f"issued the statements for {t.event.target_id}: {t.get('produced', 0)} produced, "
        f"{t.get('already', 0)} already issued, {t.get('failed', 0)} failed"
    )


LOGIN_FAILURES = {
    "bad_password": "wrong password",
    "bad_second_factor": "wrong two-factor code",
    "unknown_email": "unknown email address",
    "account_locked": "the user is locked",
    "locked_out": "locked out after too many attempts",
    "email_unverified": "email address not confirmed",
}
SIGN_IN_METHODS = {"password": "with a password", "two_factor": "with a two-factor code"}

PHRASES: dict[str, Callable[[Told], str]] = {
    # Money
    "transfer.posted": lambda t: (
        f"moved {t.amount()} from {t.account('source_account_id')} "
        f"to {t.account('destination_account_id')}"
    ),
    "transfer.held": lambda t: (
        f"sent {t.amount()} from {t.account('source_account_id')} to "
        f"{t.account('destination_account_id')}; held for review"
    ),
    "transfer.hold_expired": lambda t: (
        f"released the expired hold of {t.amount()} on {t.account('account_id')}"
    ),
    "admin.review.approve": lambda t: (
        f"approved held transfer #{t.event.target_id} of {t.amount()}" + t.reason()
    ),
    "admin.review.reject": lambda t: (
        f"rejected held transfer #{t.event.target_id} of {t.amount()}" + t.reason()
    ),
    "admin.transaction.reverse": lambda t: (
        f"reversed transaction #{t.get('reverses')} ({t.amount()})" + t.reason() + t.approval()
    ),
    "admin.adjustment": _adjustment,
    "interest.paid": lambda t: (
        f"paid {t.amount()} interest into {t.account('account_id')} for {t.get('period')}"
    ),
    "interest.accrual_run": _interest_run,
    "statement.production_run": _statements_run,
    "schedule.created": lambda t: (
        f"scheduled {t.amount()} ({t.get('frequency')}), first on {t.get('first_run_on')}"
    ),
    "schedule.executed": lambda t: (
        f"ran a scheduled transfer of {t.amount()} due {t.get('occurrence')}: "
        f"transaction #{t.get('transaction_id')} ({t.get('status')})"
    ),
    "schedule.failed": lambda t: (
        f"could not run a scheduled transfer due {t.get('occurrence')}: {t.get('reason')}"
    ),
    "schedule.paused": lambda t: "paused a scheduled transfer",
    "schedule.resumed": lambda t: "resumed a scheduled transfer",
    "schedule.cancelled": lambda t: "cancelled a scheduled transfer",
    # Accounts
    "admin.account.freeze": lambda t: f"froze account {t.get('number')}" + t.reason(),
    "admin.account.unfreeze": lambda t: f"unfroze account {t.get('number')}" + t.reason(),
    "admin.account.close": lambda t: f"closed account {t.get('number')}" + t.reason(),
    "account.opened": lambda t: (
        f"opened a {t.get('kind', 'new')} account {t.account(ident=t.event.target_id)}"
    ),
    "account.closed": lambda t: f"closed account {t.account(ident=t.event.target_id)}",
    "account.renamed": lambda t: f"renamed account {t.account(ident=t.event.target_id)}",
    "payee.added": lambda t: "saved a payee",
    "payee.renamed": lambda t: "renamed a payee",
    "payee.deleted": lambda t: "deleted a payee",
    # Category rules (target: the merchant key, which is the merchant's name lowercased)
    "category_rule.set": lambda t: (
        f"put “{t.event.target_id}” under {categories.label(str(t.get('category')))}"
    ),
    "category_rule.removed": lambda t: f"removed their category rule for “{t.event.target_id}”",
    # Users (by an admin)
    "admin.user.lock": lambda t: f"locked {t.user()}" + t.reason() + t.approval(),
    "admin.user.unlock": lambda t: f"unlocked {t.user()}" + t.reason(),
    "admin.user.role": _role,
    "admin.user.2fa_reset": lambda t: (
        f"reset {t.user()}’s two-factor authentication" + t.reason() + t.approval()
    ),
    "admin.user.password_reset": lambda t: (
        f"signed {t.user()} out and sent a password reset email" + t.reason()
    ),
    "admin.pending.request": lambda t: _request(t, "asked a second admin to approve"),
    "admin.pending.reject": lambda t: _request(t, "rejected the request"),
    "admin.job.retry": _job_retry,
    "auth.admin_created": lambda t: f"created the admin {t.user()}",
    "ledger.verify": _ledger_check,
    # Signing in and the user's own settings
    "auth.signup": lambda t: "signed up",
    "auth.signup_existing_email": lambda t: "someone tried to sign up again with this email",
    "auth.email_verified": lambda t: "confirmed their email address",
    "auth.login": lambda t: " ".join(
        ["signed in", SIGN_IN_METHODS.get(str(t.get("method")), "")]
    ).strip(),
    "auth.login_failed": lambda t: (
        "failed to sign in: "
        + LOGIN_FAILURES.get(str(t.get("reason")), str(t.get("reason") or "refused"))
    ),
    "auth.lockout": lambda t: f"was locked out after {t.get('failures', 'too many')} failures",
    "auth.logout": lambda t: "signed out",
    "auth.password_change": lambda t: "changed their password",
    "auth.password_reset_request": lambda t: "asked for a password reset email",
    "auth.password_reset": lambda t: "set a new password from a reset link",
    "auth.name_change": lambda t: "changed their name",
    "auth.2fa_enroll": lambda t: "turned on two-factor authentication",
    "auth.2fa_disable": lambda t: "turned off two-factor authentication",
    "auth.2fa_failed": lambda t: "entered a wrong two-factor code",
    "auth.reauth_failed": lambda t: (
        f"failed to confirm their identity ({str(t.get('purpose')).replace('_', ' ')}): "
        + LOGIN_FAILURES.get(str(t.get("reason")), str(t.get("reason") or "refused"))
    ),
    "auth.recovery_code_used": lambda t: (
        f"signed in with a recovery code ({t.get('remaining', '?')} left)"
    ),
}

VIA = {"cli": "from the command line", "worker": "by the background worker"}


def _fallback(t: Told) -> str:
    """An action without a phrase: its name and details in words, never a dict."""
    name = t.event.action.replace("_", " ").replace(".", " ").strip().capitalize() or "Event"
    parts = [
        f"{str(key).replace('_', ' ')} “{value}”" for key, value in t.d.items() if key != "via"
    ]
    return name + (": " + ", ".join(parts) if parts else "")


def sentence(event: AuditEvent, refs: AuditReferences) -> str:
    """What `event` did, in words (see the module docstring)."""
    told = Told(event, refs)
    phrase = PHRASES.get(event.action, _fallback)
    try:
        text = phrase(told)
    except (KeyError, TypeError, ValueError):  # an older row with other details
        text = _fallback(told)
    via = VIA.get(str(told.d.get("via")))
    return f"{text} ({via})" if via else text


TARGETS: dict[str, tuple[str, Callable[[int], str] | None]] = {
    "transaction": (
        "Transaction #{id}",
        lambda i: url_for("admin.transaction_detail", transaction_id=i),
    ),
    "pending_admin_action": ("Request #{id}", lambda i: url_for("admin.pending_actions")),
    "failed_job": ("Job #{id}", lambda i: url_for("admin.failed_jobs_list")),
    "scheduled_transfer": ("Schedule #{id}", None),
    "ledger": ("The ledger", None),
    "interest_period": ("Interest for {id}", None),
    "category_rule": ("Category rule", None),
}


def target(event: AuditEvent, refs: AuditReferences) -> tuple[str, str | None]:
    """What the event was about, as a label and (when there is a page) a link."""
    kind, raw = event.target_type, event.target_id
    ident = _as_id(raw)
    if kind == "user" and ident is not None:
        return Told(event, refs).user(), url_for("admin.user_detail", user_id=ident)
    if kind == "account" and ident is not None:
        account = refs.accounts.get(ident)
        label = account.masked_number if account else f"Account #{ident}"
        return label, url_for("admin.account_detail", account_id=ident)
    if kind in TARGETS:
        label, link = TARGETS[kind]
        url = link(ident) if link is not None and ident is not None else None
        return label.format(id=raw or ""), url
    if not kind:
        return "", None
    return f"{kind.replace('_', ' ')} #{raw}" if raw else kind.replace("_", " "), None


def lines(events: list[AuditEvent], refs: AuditReferences) -> list[AuditLine]:
    out = []
    for event in events:
        label, url = target(event, refs)
        out.append(AuditLine(event, sentence(event, refs), label, url))
    return out
