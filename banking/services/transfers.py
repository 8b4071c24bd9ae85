"""The Flask-side facade over `banking.core.ledger.post_transfer` for customer transfers.

Views never call the ledger directly: they `preview_transfer` (the ledger's own rule book,
asked without locks, so the confirm page shows who gets what, whether it will be held
for review, and refuses with the very words posting would use) and then
`make_transfer`, which builds the customer's limits from config and writes the audit row
inside the same database transaction as the movement (the cached dashboards of both
sides are dropped by `banking.caching`'s commit event). The ledger asks the same rule
book again under its locks; the preview only spares the customer a pointless confirm step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from banking.core import ledger, notifications
from banking.core.account_numbers import is_valid_account_number, normalize_account_number
from banking.core.ledger import sqlpath
from banking.core.models import Account, AccountKind, TransactionStatus, User
from banking.core.names import mask_name  # re-exported: transfer pages import it here
from banking.extensions import db
from banking.services import audit
from banking.services import notifications as notify

_UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


class TransferRefused(ledger.LedgerError):
    """A transfer refused before it reached the ledger; `field` names the form field at fault."""

    code = "transfer_refused"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message, field=field)


@dataclass(frozen=True)
class TransferPreview:
    """What the confirm page shows and what its hidden fields send back."""

    source_id: int
    source_name: str
    source_number: str  # masked
    destination_number: str  # full: the customer typed it or owns it
    destination_masked: str
    recipient_name: str  # masked unless the destination is the customer's own account
    own_destination: bool
    amount: int
    currency: str
    memo: str
    held: bool = False  # the rule book's verdict: it will wait for the bank's review
    review_threshold: int | None = None  # what "held" is about, for the page's explanation


def is_idempotency_key(key: str | None) -> bool:
    return bool(key) and bool(_UUID4.match(key))


def limits_from_config() -> ledger.Limits:
    config = current_app.config
    return ledger.Limits(
        per_transfer=config["TRANSFER_LIMIT_CENTS"],
        daily=config["DAILY_LIMIT_CENTS"],
        review_threshold=config["REVIEW_THRESHOLD_CENTS"],
        hold_days=config["HOLD_EXPIRY_DAYS"],
    )


def _valid_number(number_text: str) -> str:
    """The typed number, normalized, checked (format + Luhn) before anything is looked up."""
    number = normalize_account_number(number_text)
    if not number:
        raise TransferRefused("Enter the recipient's account number.", "account_number")
    if not is_valid_account_number(number):
        raise TransferRefused(
            "That is not a valid account number; check the 12 digits.", "account_number"
        )
    return number


def find_destination(number_text: str) -> Account:
    """The account a customer typed (for the preview, which shows whose it is)."""
    number = _valid_number(number_text)
    account = db.session.scalar(select(Account).where(Account.number == number))
    if account is None or account.is_system:
        raise TransferRefused("No account has that number.", "account_number")
    return account


@dataclass(frozen=True)
class _Destination:
    """What posting needs of the typed account, and what the recipient's notice says."""

    id: int
    owner_id: int | None
    currency: str
    label: str  # "Everyday ••••1234": the recipient's own name for it
    sender: str  # the sender's name, masked as other customers see it


_SYSTEM = AccountKind.SYSTEM.value
# `_destination`'s statement as plain SQL for the driver (PostgreSQL): the same columns
# as the ORM query below, the sender's name in the same round trip.
_DESTINATION_SQL = (
    "SELECT id, kind, owner_id, currency, nickname,"
    " (SELECT full_name FROM users WHERE id = %(user_id)s) AS sender"
    " FROM accounts WHERE number = %(number)s"
)


def _destination_literal(user_id: int, number: str) -> str:
    """`_DESTINATION_SQL` with its values written in, for the message that also opens the
    transaction (`sqlpath.open_with`: the simple query protocol has no parameters). The
    number has passed `_valid_number` (12 digits); it is checked again here, so nothing
    but ASCII digits and an integer can ever reach the SQL text."""
    if not (number.isascii() and number.isdigit()):
        raise ValueError("an account number has only the digits 0 to 9")
    return _DESTINATION_SQL % {"user_id": int(user_id), "number": f"'{number}'"}


def _destination(user_id: int, number_text: str, session: Session) -> _Destination:
    """The account a customer typed, in one statement: no more round trips than posting's.

    Columns, not an Account instance: loading the entity cost ~15 % of a transfer
    confirmation's CPU, and the ledger locks and re-reads the row anyway. The sender's
    name comes in the same statement (for the recipient's notification). On PostgreSQL
    the SELECT goes to the driver's cursor on the session's connection, as the ledger's
    own statements do (`sqlpath.run`): the ORM `session.execute` (statement cache, result
    objects) cost ~15 % more, more than PostgreSQL spends answering it. It opens the
    transaction the posting continues, so BEGIN goes in the same message (one round trip,
    not two). Still announced to the engine's cursor events (statement counts, metrics).
    """
    number = _valid_number(number_text)
    if sqlpath.enabled(session):
        # The first statement of the posting's transaction: BEGIN travels with it.
        rows = sqlpath.open_with(
            session,
            _destination_literal(user_id, number),
            _DESTINATION_SQL,
            {"number": number, "user_id": user_id},
        )
        row = rows[0] if rows else None
    else:
        sender = select(User.full_name).where(User.id == user_id).scalar_subquery()
        row = session.execute(
            select(
                Account.id,
                Account.kind,
                Account.owner_id,
                Account.currency,
                Account.nickname,
                sender.label("sender"),
            ).where(Account.number == number)
        ).first()
    if row is None or row[1] == _SYSTEM:
        raise TransferRefused("No account has that number.", "account_number")
    account_id, kind, owner_id, currency, nickname, sender_name = row
    masked = f"••••{number[-4:]}"
    label = notifications.account_label(nickname or f"{kind.capitalize()} {masked}", masked)
    return _Destination(account_id, owner_id, currency, label, mask_name(sender_name or ""))


def preview_transfer(
    user_id: int,
    *,
    source_id: int,
    amount: int,
    memo: str,
    destination_number: str | None = None,
    own_destination_id: int | None = None,
) -> TransferPreview:
    """Ask the ledger's rule book about a transfer, without locks and without moving anything.

    The destination is either an account number typed by the customer (or from a payee)
    or, between own accounts, the id of one of the customer's accounts. Raises the same
    `ledger.LedgerError` (same class, same words, `field` set) that posting would raise
    for the same situation, or `TransferRefused` when the input names no usable account.
    """
    source = _own_account(user_id, source_id)
    if source is None:
        raise TransferRefused("Choose one of your accounts to send from.", "from_account")
    if own_destination_id is not None:
        destination = _own_account(user_id, own_destination_id)
        if destination is None:
            raise TransferRefused("Choose one of your accounts to send to.", "to_account")
    else:
        destination = find_destination(destination_number or "")
    limits = limits_from_config()
    decision = ledger.check_movement(
        source,
        destination,
        amount,
        owner_id=user_id,
        limits=limits,
        spent_24h=lambda: ledger.spent_last_24h(db.session, user_id),
    ).raise_if_refused()
    own = destination.owner_id == user_id
    owner = db.session.get(User, destination.owner_id) if destination.owner_id else None
    return TransferPreview(
        source_id=source.id,
        source_name=source.display_name,
        source_number=source.masked_number,
        destination_number=destination.number,
        destination_masked=destination.masked_number,
        recipient_name=destination.display_name
        if own
        else mask_name(owner.full_name if owner else ""),
        own_destination=own,
        amount=amount,
        currency=source.currency,
        memo=memo,
        held=decision.held,
        review_threshold=limits.review_threshold,
    )


def _own_account(user_id: int, account_id: int) -> Account | None:
    return db.session.scalar(
        select(Account).where(Account.id == account_id, Account.owner_id == user_id)
    )


def make_transfer(
    user_id: int, *, source_id: int, destination_number: str, amount: int, memo: str, key: str
) -> ledger.PostingResult:
    """Post (or hold for review) a customer's transfer; the same key twice moves money once.

    Raises a `ledger.LedgerError` (including `TransferRefused`) when nothing was moved.
    """
    if not is_idempotency_key(key):
        raise TransferRefused("This form has expired. Start a new transfer.")
    # The request's Session itself, not the `db.session` proxy: the ledger calls it a
    # dozen times per posting, and each call through the proxy looks the scope up again.
    session = db.session()
    destination = _destination(user_id, destination_number, session)

    # The ledger writes this row in the movement's own transaction (on PostgreSQL, in its
    # single write statement): a transfer is "posted", or "held" for review.
    write_audit = audit.transaction_hook(
        lambda txn: (
            "transfer.held" if txn.status == TransactionStatus.PENDING.value else "transfer.posted"
        ),
        actor_id=user_id,
        details=lambda txn: {
            "amount": txn.amount,
            "source_account_id": txn.source_account_id,
            "destination_account_id": txn.destination_account_id,
        },
    )

    def incoming(txn) -> list:
        # Only money that arrived, from someone else: not a held transfer (its recipient
        # hears when it is approved), not a move between one's own accounts.
        if (
            txn.status != TransactionStatus.POSTED.value
            or destination.owner_id is None
            or destination.owner_id == user_id
        ):
            return []
        return [
            notifications.incoming_transfer(
                destination.owner_id,
                amount=txn.amount,
                currency=destination.currency,
                sender=destination.sender,
                account=destination.label,
                account_id=destination.id,
                now=txn.created_at,
            )
        ]

    result = ledger.post_transfer(
        session,
        source_id=source_id,
        destination_id=destination.id,
        amount=amount,
        initiator_id=user_id,
        key=key,
        memo=memo,
        owner_id=user_id,
        limits=limits_from_config(),
        on_posted=notifications.WithNotices(write_audit, incoming),
        max_retries=current_app.config["LEDGER_MAX_RETRIES"],
    )
    notify.dispatch(session)  # the recipient's email, queued now that the money moved
    return result
