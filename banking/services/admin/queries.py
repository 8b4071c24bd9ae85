"""Read-only admin lists: the journal, the review queue and the audit log (keyset-paged).

Views and commands read through these (never the session themselves), so what a page
shows and what a service decides come from the same queries.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased, joinedload, lazyload

from banking.core.models import (
    Account,
    AuditEvent,
    Hold,
    JournalTransaction,
    PendingAdminAction,
    TransactionStatus,
    User,
)
from banking.core.redaction import SENSITIVE_KEYS
from banking.services.admin import stats, work
from banking.services.admin.pagination import Page, paginate

CSV_BATCH = 500


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


# The journal, review and approve pages name each account's owner: load the owners with
# the page's one query (both accounts are already joined eagerly by the model), instead of
# one query per row when the template asks for `account.owner`.
WITH_OWNERS = (
    joinedload(JournalTransaction.source_account).joinedload(Account.owner),
    joinedload(JournalTransaction.destination_account).joinedload(Account.owner),
)


def journal_query(criteria: dict):
    """Transactions matching the filter form's criteria (dates inclusive, UTC days)."""
    query = select(JournalTransaction).options(*WITH_OWNERS)
    txn = JournalTransaction
    if criteria.get("date_from"):
        query = query.where(txn.created_at >= _start_of(criteria["date_from"]))
    if criteria.get("date_to"):
        query = query.where(txn.created_at < _start_of(criteria["date_to"] + timedelta(days=1)))
    if criteria.get("kind"):
        query = query.where(txn.kind == criteria["kind"])
    if criteria.get("status"):
        query = query.where(txn.status == criteria["status"])
    if criteria.get("amount_min") is not None:
        query = query.where(txn.amount >= criteria["amount_min"])
    if criteria.get("amount_max") is not None:
        query = query.where(txn.amount <= criteria["amount_max"])
    if criteria.get("account"):
        account_ids = select(Account.id).where(Account.number == criteria["account"])
        query = query.where(
            or_(
                txn.source_account_id.in_(account_ids),
                txn.destination_account_id.in_(account_ids),
            )
        )
    return query


def list_journal(criteria: dict, cursor: str | None) -> Page:
    return paginate(work.session(), journal_query(criteria), JournalTransaction, cursor)


@dataclass
class ReviewPage(Page):
    """A page of the review queue and when each transfer's hold runs out (by its id)."""

    expires: dict[int, datetime] = field(default_factory=dict)


def review_queue(cursor: str | None) -> ReviewPage:
    """Pending transfers, oldest first: the longest-waiting customer is served first."""
    query = (
        select(JournalTransaction)
        .options(*WITH_OWNERS)
        .where(JournalTransaction.status == TransactionStatus.PENDING.value)
    )
    page = paginate(work.session(), query, JournalTransaction, cursor, newest_first=False)
    expires = hold_expiries([txn.id for txn in page.items])
    return ReviewPage(page.items, page.next_cursor, expires)


def hold_expiries(transaction_ids: list[int]) -> dict[int, datetime]:
    """When the active hold of each of these transactions expires (one query for a page)."""
    if not transaction_ids:
        return {}
    rows = work.session().execute(
        select(Hold.transaction_id, Hold.expires_at).where(
            Hold.transaction_id.in_(transaction_ids), Hold.active.is_(True)
        )
    )
    return {transaction_id: expires_at for transaction_id, expires_at in rows}


def find_transaction(transaction_id: int) -> JournalTransaction | None:
    return work.session().get(JournalTransaction, transaction_id, options=WITH_OWNERS)


def reversal_of(transaction_id: int) -> JournalTransaction | None:
    return work.session().scalar(
        select(JournalTransaction).where(JournalTransaction.reverses_id == transaction_id)
    )


def request_target(action: PendingAdminAction) -> Account | JournalTransaction | User | None:
    """What a dual-control request is about (None when it no longer exists)."""
    model = {"account": Account, "transaction": JournalTransaction, "user": User}.get(
        action.target_type
    )
    return work.session().get(model, action.target_id) if model else None


def preload_request_targets(actions: list[PendingAdminAction]) -> list[object]:
    """Load what a list of dual-control requests is about, one query per kind.

    `request_target` then finds each in the session's identity map: the overview and the
    requests page describe every request (its account and owner, its transaction and
    both sides, its user) without a query per row. The identity map holds objects weakly:
    keep the returned list while describing them.
    """
    session = work.session()
    wanted: dict[str, set[int]] = {}
    for action in actions:
        wanted.setdefault(action.target_type, set()).add(action.target_id)
    loaded: list[object] = []
    if ids := wanted.get("account"):
        loaded += session.scalars(
            select(Account).options(joinedload(Account.owner)).where(Account.id.in_(ids))
        ).all()
    if ids := wanted.get("transaction"):
        loaded += session.scalars(
            select(JournalTransaction)
            .options(
                joinedload(JournalTransaction.source_account).joinedload(Account.owner),
                joinedload(JournalTransaction.destination_account).joinedload(Account.owner),
            )
            .where(JournalTransaction.id.in_(ids))
        ).unique().all()
    if ids := wanted.get("user"):
        loaded += session.scalars(select(User).where(User.id.in_(ids))).all()
    return loaded


def overview_stats() -> stats.OverviewStats:
    """The overview's cached figures (see `stats.overview_stats`)."""
    return stats.overview_stats(work.session())


def audit_query(criteria: dict):
    query = select(AuditEvent)
    if criteria.get("actor"):
        actor = aliased(User)
        query = query.join(actor, AuditEvent.actor_id == actor.id).where(
            func.lower(actor.email) == criteria["actor"].lower()
        )
    if criteria.get("action"):
        query = query.where(AuditEvent.action == criteria["action"])
    if criteria.get("target_type"):
        query = query.where(AuditEvent.target_type == criteria["target_type"])
    if criteria.get("target_id"):
        query = query.where(AuditEvent.target_id == criteria["target_id"])
    if criteria.get("date_from"):
        query = query.where(AuditEvent.created_at >= _start_of(criteria["date_from"]))
    if criteria.get("date_to"):
        query = query.where(
            AuditEvent.created_at < _start_of(criteria["date_to"] + timedelta(days=1))
        )
    return query


def list_audit(criteria: dict, cursor: str | None) -> Page:
    return paginate(work.session(), audit_query(criteria), AuditEvent, cursor)


AUDIT_CSV_HEADER = [
    "id",
    "created_at",
    "actor_email",
    "action",
    "target_type",
    "target_id",
    "success",
    "ip",
    "request_id",
    "details",
]


def iter_audit_rows(criteria: dict) -> Iterator[list]:
    """Every matching event, newest first, fetched in keyset batches (memory stays flat)."""
    token: str | None = None
    while True:
        page = paginate(work.session(), audit_query(criteria), AuditEvent, token, size=CSV_BATCH)
        for event in page.items:
            yield [
                event.id,
                event.created_at.isoformat() if event.created_at else "",
                event.actor.email if event.actor else "",
                event.action,
                event.target_type or "",
                event.target_id or "",
                "" if event.success is None else ("yes" if event.success else "no"),
                event.ip or "",
                event.request_id or "",
                _details_text(event.details),
            ]
        if page.next_cursor is None:
            return
        token = page.next_cursor


def _details_text(details: dict | None) -> str:
    """The raw details for a spreadsheet; a secret-looking key is left out here too (the
    writer already drops them: this keeps an older or hand-written row from leaking one)."""
    if not details:
        return ""
    return "; ".join(
        f"{key}={value}"
        for key, value in sorted(details.items())
        if not SENSITIVE_KEYS.search(str(key))
    )


@dataclass
class AuditReferences:
    """The rows a page of audit events mentions, so each event can be told in words
    ("moved $42.50 from ••••8391 to ••••8774") with one query per kind, not per row."""

    accounts: dict[int, Account] = field(default_factory=dict)
    users: dict[int, User] = field(default_factory=dict)
    transactions: dict[int, JournalTransaction] = field(default_factory=dict)


_ACCOUNT_KEYS = ("account_id", "source_account_id", "destination_account_id")
_USER_KEYS = ("maker_id", "checker_id")
_TRANSACTION_KEYS = ("transaction_id", "reverses")
_MODELS = {"account": Account, "user": User, "transaction": JournalTransaction}


def _as_id(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def audit_references(events: list[AuditEvent]) -> AuditReferences:
    """Load every account, user and transaction the `events` name (by target or detail)."""
    wanted: dict[str, set[int]] = {"account": set(), "user": set(), "transaction": set()}

    def want(kind: str | None, value: object) -> None:
        ident = _as_id(value)
        if kind in wanted and ident is not None:
            wanted[kind].add(ident)

    for event in events:
        details = event.details or {}
        want(event.target_type, event.target_id)
        # A dual-control request names what it is about in its details.
        want(details.get("target_type"), details.get("target_id"))
        for kind, keys in (
            ("account", _ACCOUNT_KEYS),
            ("user", _USER_KEYS),
            ("transaction", _TRANSACTION_KEYS),
        ):
            for key in keys:
                want(kind, details.get(key))
    session = work.session()
    found: dict[str, dict] = {}
    for kind, ids in wanted.items():
        model = _MODELS[kind]
        query = select(model).where(model.id.in_(ids))
        if model is JournalTransaction:  # its entries are not needed: no selectin query
            query = query.options(lazyload(JournalTransaction.entries))
        rows = session.scalars(query).unique() if ids else []
        found[kind] = {row.id: row for row in rows}
    return AuditReferences(found["account"], found["user"], found["transaction"])
