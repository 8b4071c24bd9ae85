"""What the dashboard announces until the customer has seen it: held transfers decided.

A transfer held for review is approved or declined (by an admin, or by time) while its
sender is away. Its outcome is announced at the top of the dashboard until they dismiss
it. What they have seen is one timestamp per user (`User.decisions_seen_at`): a hold
released after it is news. The list is part of the cached dashboard summary
(`services.dashboard.build_summary`); dismissing changes the user's row, and
`banking.caching` drops the cached summary when that commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from banking.core.models import Account, Hold, JournalTransaction, TransactionStatus, User
from banking.core.models.base import as_utc, utcnow
from banking.core.names import counterparty_title, decline_reason
from banking.extensions import db

ANNOUNCEMENTS_MAX = 5  # the newest few; history keeps every one
_OTHER = aliased(Account, name="announced_other")
_OTHER_OWNER = aliased(User, name="announced_other_owner")


def decided_transfers(user_id: int, account_ids: list[int]) -> list[dict[str, Any]]:
    """The user's held transfers decided since they last dismissed the announcements,
    newest decision first, as plain dicts (cached with the dashboard summary)."""
    if not account_ids:
        return []
    rows = db.session.execute(
        select(
            JournalTransaction.id,
            JournalTransaction.status,
            JournalTransaction.decision_reason,
            JournalTransaction.kind,
            JournalTransaction.memo,
            Hold.amount,
            Hold.released_at,
            Account.currency,
            _OTHER.number,
            _OTHER.kind.label("other_kind"),
            _OTHER.system_code,
            _OTHER.nickname,
            _OTHER.owner_id,
            _OTHER_OWNER.full_name,
        )
        .join(JournalTransaction, JournalTransaction.id == Hold.transaction_id)
        .join(Account, Account.id == Hold.account_id)
        # The account's owner, for what they have seen (the user row itself is not read
        # again: the signed-in user comes from the session cache).
        .join(User, User.id == Account.owner_id)
        .outerjoin(_OTHER, _OTHER.id == JournalTransaction.destination_account_id)
        .outerjoin(_OTHER_OWNER, _OTHER_OWNER.id == _OTHER.owner_id)
        .where(
            Hold.account_id.in_(account_ids),
            Hold.active.is_(False),
            Hold.released_at.is_not(None),
            # NULL: nothing seen yet (a user created after migration 0008).
            or_(
                User.decisions_seen_at.is_(None),
                Hold.released_at > User.decisions_seen_at,
            ),
        )
        .order_by(Hold.released_at.desc(), Hold.id.desc())
        .limit(ANNOUNCEMENTS_MAX)
    ).all()
    return [_announcement(row, user_id) for row in rows]


def _announcement(row, user_id: int) -> dict[str, Any]:
    approved = row.status == TransactionStatus.POSTED.value
    return {
        "transaction_id": row.id,
        "approved": approved,
        "to": counterparty_title(
            other_number=row.number,
            other_kind=row.other_kind,
            other_system_code=row.system_code,
            other_nickname=row.nickname,
            other_owner_id=row.owner_id,
            own_owner_id=user_id,
            other_owner_name=row.full_name,
            memo=row.memo,
            kind=row.kind,
        ),
        "amount": row.amount,
        "currency": row.currency,
        "reason": "" if approved else decline_reason(row.status, row.decision_reason),
        "decided_at": as_utc(row.released_at),
    }


def mark_seen(user_id: int, until: datetime) -> None:
    """The customer has seen every decision up to `until` (what their page showed them;
    never later than now, never earlier than what they had already seen). Commits.

    `until` rather than "now": a decision made between showing the page and the click
    was not seen, and stays announced.
    """
    until = min(as_utc(until), utcnow())
    user = db.session.get(User, user_id)
    if user is None:
        return
    try:
        if user.decisions_seen_at is None or as_utc(user.decisions_seen_at) < until:
            user.decisions_seen_at = until
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
