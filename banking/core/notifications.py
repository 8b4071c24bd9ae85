"""The notification catalogue: every kind, which are security notices, and their wording.

One place decides what a customer is told and whether they may turn its email off, so the
inbox, the profile's preferences, the email task and the demo data cannot disagree.

Rows are built here and added by whoever records the event, in that event's own database
transaction (the ledger's PostgreSQL path inserts them in its one write statement): a
notification exists exactly when its event committed, and so does its place in the email
outbox (`email_pending`, set by `build`). The worker's outbox sweep (a service above the
core) sends the emails after the commit, reading the preference then.

Wording rules: no full account number (the last four digits at most, as `masked_number`
shows them), another customer's name masked (`names.mask_name`), amounts formatted with
their currency. Links are paths inside the app, never URLs: the inbox and the email add
the origin themselves (the email from the configured public base URL, never a request).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from banking.core.models import Account, JournalTransaction, Notification, TransactionStatus, User
from banking.core.models.base import utcnow
from banking.core.money import format_money

# Key in Session.info: the (id, user_id, kind) of notifications this transaction wrote.
# Filled by a flush (banking.notification_events) or by the ledger's PostgreSQL path; read
# after the commit to refresh the recipients' unread counts and queue their emails.
WRITTEN = "banking.notifications.written"


class Kind(enum.StrEnum):
    INCOMING_TRANSFER = "incoming_transfer"
    TRANSFER_APPROVED = "transfer_approved"
    TRANSFER_DECLINED = "transfer_declined"
    SCHEDULE_FAILED = "schedule_failed"
    NEW_DEVICE = "new_device_sign_in"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - a kind, not a secret
    TWO_FACTOR_CHANGED = "two_factor_changed"
    ACCOUNT_FROZEN = "account_frozen"
    ACCOUNT_UNFROZEN = "account_unfrozen"


@dataclass(frozen=True)
class KindInfo:
    kind: Kind
    label: str  # what the profile's preferences call it
    security: bool = False  # always emailed; the preference cannot turn it off
    # The event already sends its own email (a password change has had one since before
    # notifications): the notification's would be a second copy.
    own_email: bool = False


CATALOGUE: dict[str, KindInfo] = {
    info.kind.value: info
    for info in (
        KindInfo(Kind.INCOMING_TRANSFER, "Money received from another customer"),
        KindInfo(Kind.TRANSFER_APPROVED, "A transfer held for review was approved"),
        KindInfo(Kind.TRANSFER_DECLINED, "A transfer held for review was declined"),
        KindInfo(Kind.SCHEDULE_FAILED, "A scheduled transfer failed"),
        KindInfo(Kind.ACCOUNT_FROZEN, "An account was frozen"),
        KindInfo(Kind.ACCOUNT_UNFROZEN, "An account was unfrozen"),
        KindInfo(Kind.NEW_DEVICE, "Sign-in from a new device", security=True),
        KindInfo(Kind.PASSWORD_CHANGED, "Password changed", security=True, own_email=True),
        KindInfo(Kind.TWO_FACTOR_CHANGED, "Two-factor authentication changed", security=True),
    )
}

# Paths inside the app that notifications link to (the web layer serves them there).
INBOX_PATH = "/notifications"
DASHBOARD_PATH = "/"
SCHEDULES_PATH = "/schedules"
PROFILE_PATH = "/auth/profile"


def history_path(account_id: int) -> str:
    return f"/accounts/{account_id}/history"


def is_security(kind: str) -> bool:
    info = CATALOGUE.get(kind)
    return bool(info and info.security)


def wants_email(kind: str, preference: bool | None) -> bool:
    """Whether `kind` is emailed, given the user's stored choice (None: never chosen).

    Security notices always are; a kind with its own email never sends a second one;
    everything else follows the choice, on by default.
    """
    info = CATALOGUE.get(kind)
    if info is None or info.own_email:
        return False
    if info.security:
        return True
    return True if preference is None else bool(preference)


def build(
    user_id: int,
    kind: Kind | str,
    title: str,
    body: str,
    *,
    link: str | None = None,
    now: datetime | None = None,
) -> Notification:
    """A notification row, not yet in any session."""
    kind = str(kind)
    if kind not in CATALOGUE:
        raise ValueError(f"unknown notification kind {kind!r}")
    return Notification(
        user_id=user_id,
        kind=kind,
        title=title[:120],
        body=body[:500],
        link=link,
        created_at=now or utcnow(),
        # In the outbox unless the event sends its own email; the sweep reads the
        # user's choice when it runs (a kind turned off is cleared there, not sent).
        email_pending=not CATALOGUE[kind].own_email,
    )


def add(session: Session, rows: Iterable[Notification]) -> None:
    """Add rows to the caller's session (they commit with the event they report)."""
    session.add_all(list(rows))


# The wording of each kind ---------------------------------------------------------------
def account_label(display_name: str, masked_number: str) -> str:
    """ "Everyday ••••1234": a nickname may already end in the digits; don't repeat them."""
    return (
        display_name
        if display_name.endswith(masked_number)
        else (f"{display_name} {masked_number}")
    )


def incoming_transfer(
    user_id: int,
    *,
    amount: int,
    currency: str,
    sender: str,
    account: str,
    account_id: int,
    now: datetime | None = None,
) -> Notification:
    """`sender` is already masked (another customer's name); `account` is a label."""
    money = format_money(amount, currency)
    return build(
        user_id,
        Kind.INCOMING_TRANSFER,
        f"You received {money}",
        f"{sender} sent you {money} into {account}.",
        link=history_path(account_id),
        now=now,
    )


def transfer_decided(
    user_id: int,
    *,
    approved: bool,
    amount: int,
    currency: str,
    account: str,
    expired: bool = False,
    now: datetime | None = None,
) -> Notification:
    money = format_money(amount, currency)
    if approved:
        title = f"Your transfer of {money} was approved"
        body = f"The transfer of {money} from {account} passed review and has been sent."
        kind = Kind.TRANSFER_APPROVED
    else:
        why = "was not reviewed in time" if expired else "was declined after review"
        title = f"Your transfer of {money} was declined"
        body = (
            f"The transfer of {money} from {account} {why}. Nothing was sent and the "
            "money is available in your account again."
        )
        kind = Kind.TRANSFER_DECLINED
    return build(user_id, kind, title, body, link=DASHBOARD_PATH, now=now)


def schedule_failed(
    user_id: int, *, amount: int, currency: str, reason: str, now: datetime | None = None
) -> Notification:
    money = format_money(amount, currency)
    return build(
        user_id,
        Kind.SCHEDULE_FAILED,
        f"A scheduled transfer of {money} failed",
        f"Your scheduled transfer of {money} could not be made: {reason} "
        "The schedule is stopped until you resume it.",
        link=SCHEDULES_PATH,
        now=now,
    )


def new_device(user_id: int, *, device: str, now: datetime | None = None) -> Notification:
    return build(
        user_id,
        Kind.NEW_DEVICE,
        "New sign-in to your account",
        f"Your account was signed in to from a device we had not seen before ({device}). "
        "If this wasn't you, change your password now and contact us.",
        link=PROFILE_PATH,
        now=now,
    )


def password_changed(user_id: int, *, reset: bool, now: datetime | None = None) -> Notification:
    how = "reset with an emailed link" if reset else "changed"
    return build(
        user_id,
        Kind.PASSWORD_CHANGED,
        "Your password was changed",
        f"Your password was {how} and every other session was signed out. "
        "If this wasn't you, reset your password now and contact us.",
        link=PROFILE_PATH,
        now=now,
    )


def two_factor_changed(
    user_id: int, *, enabled: bool, by_bank: bool = False, now: datetime | None = None
) -> Notification:
    state = "turned on" if enabled else "turned off"
    if by_bank:
        body = (
            "The bank reset two-factor authentication for your account: signing in "
            "needs only your password until you set it up again. "
            "If you did not ask for this, contact us now."
        )
    else:
        body = (
            f"Two-factor authentication was {state} for your account. "
            "If this wasn't you, change your password now and contact us."
        )
    return build(
        user_id,
        Kind.TWO_FACTOR_CHANGED,
        f"Two-factor authentication was {'reset' if by_bank else state}",
        body,
        link=PROFILE_PATH,
        now=now,
    )


def account_status(
    user_id: int, *, frozen: bool, account: str, account_id: int, now: datetime | None = None
) -> Notification:
    if frozen:
        return build(
            user_id,
            Kind.ACCOUNT_FROZEN,
            f"{account} was frozen",
            f"The bank froze {account}: no money can be sent from or received into it "
            "until it is unfrozen. Contact us if you have questions.",
            link=history_path(account_id),
            now=now,
        )
    return build(
        user_id,
        Kind.ACCOUNT_UNFROZEN,
        f"{account} was unfrozen",
        f"{account} is active again: money can be sent from and received into it.",
        link=history_path(account_id),
        now=now,
    )


class WithNotices:
    """A ledger `on_posted` hook: another hook's rows plus notifications about the posting.

    Like `audit.TransactionAudit`, it can hand its rows over (`rows`) so the ledger's
    PostgreSQL path inserts them in its one write statement (no extra round trip on the
    money path), or add them to the session when called (the ORM path).
    """

    def __init__(
        self,
        hook: Any,
        notices: Callable[[JournalTransaction], list[Notification]],
    ) -> None:
        self._hook = hook
        self._notices = notices

    def rows(self, txn: JournalTransaction) -> list[Any]:
        return [*self._hook.rows(txn), *self._notices(txn)]

    def __call__(self, session: Session, txn: JournalTransaction) -> None:
        session.add_all(self.rows(txn))


# Notices about a posted or decided transaction, for hooks on the ORM path -------------
def about_incoming(session: Session, txn: JournalTransaction) -> list[Notification]:
    """The recipient's notice of money from another customer (none for one's own move).

    Reads both accounts (already locked by the posting: identity-map hits on the ORM
    path) and the sender's name, which the recipient sees masked.
    """
    source = session.get(Account, txn.source_account_id)
    destination = session.get(Account, txn.destination_account_id)
    if (
        source is None
        or destination is None
        or source.owner_id is None
        or destination.owner_id is None
        or destination.owner_id == source.owner_id
    ):
        return []
    from banking.core.names import mask_name  # names imports the ledger, which imports us

    sender = session.get(User, source.owner_id)
    return [
        incoming_transfer(
            destination.owner_id,
            amount=txn.amount,
            currency=destination.currency,
            sender=mask_name(sender.full_name if sender else ""),
            account=account_label(destination.display_name, destination.masked_number),
            account_id=destination.id,
            now=txn.posted_at or txn.created_at,
        )
    ]


def about_decided_hold(session: Session, txn: JournalTransaction) -> list[Notification]:
    """A held transfer was decided: the sender hears how; on approval the recipient too."""
    source = session.get(Account, txn.source_account_id)
    if source is None or source.owner_id is None:
        return []
    approved = txn.status == TransactionStatus.POSTED.value
    rows = [
        transfer_decided(
            source.owner_id,
            approved=approved,
            amount=txn.amount,
            currency=source.currency,
            account=account_label(source.display_name, source.masked_number),
            expired=txn.status == TransactionStatus.EXPIRED.value,
        )
    ]
    if approved:
        rows += about_incoming(session, txn)
    return rows
