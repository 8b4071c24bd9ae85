"""Time passed in (a Clock per call, no module global) and who owns the database transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from banking.core import ledger
from banking.core.clock import FixedClock
from banking.core.models import Entry, Hold, JournalTransaction
from tests.support.builders import make_admin
from tests.support.ledger import send

MOMENT = datetime(2026, 3, 10, 12, 30, tzinfo=UTC)


def stamps(database, transaction_id: int):
    with database.session() as session:
        txn = session.get(JournalTransaction, transaction_id)
        entries = session.scalars(
            select(Entry.created_at).where(Entry.transaction_id == transaction_id)
        ).all()
        hold = session.scalar(select(Hold).where(Hold.transaction_id == transaction_id))
        return (txn.created_at, txn.posted_at, list(entries), hold and hold.expires_at)


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands times back naive; they were written as UTC."""
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def test_a_posting_is_stamped_by_the_clock_it_is_given(database, alice, bob):
    result = send(database, alice.account_id, bob.account_id, 100, clock=FixedClock(MOMENT))

    created, posted, entries, _ = stamps(database, result.transaction_id)
    assert aware(created) == aware(posted) == MOMENT
    assert [aware(at) for at in entries] == [MOMENT, MOMENT]


def test_a_hold_expires_counting_from_the_clock_it_is_given(database, alice, bob):
    limits = ledger.Limits(review_threshold=1, hold_days=3)
    result = send(
        database, alice.account_id, bob.account_id, 100, limits=limits, clock=FixedClock(MOMENT)
    )

    created, posted, entries, expires = stamps(database, result.transaction_id)
    assert result.status == "pending"
    assert (aware(created), posted, entries) == (MOMENT, None, [])
    assert aware(expires) == MOMENT + timedelta(days=3)


def test_the_default_clock_is_the_real_time(database, alice, bob):
    before = datetime.now(UTC)
    result = send(database, alice.account_id, bob.account_id, 100)
    created, *_ = stamps(database, result.transaction_id)
    assert before - timedelta(seconds=1) <= aware(created) <= datetime.now(UTC)


def test_one_calls_clock_never_leaks_into_the_next_call(database, alice, bob):
    """The old module-global clock could: a frozen block stamped everything inside it."""
    send(database, alice.account_id, bob.account_id, 100, clock=FixedClock(MOMENT))
    later = send(database, alice.account_id, bob.account_id, 100)
    created, *_ = stamps(database, later.transaction_id)
    assert aware(created) > MOMENT + timedelta(days=1)


def test_reversal_checks_and_posts_in_the_callers_transaction_without_rolling_it_back(
    database, alice, bob
):
    admin = make_admin(database)
    original = send(database, alice.account_id, bob.account_id, 300)
    with database.session() as session:
        rollbacks: list[int] = []
        event.listen(session, "after_rollback", lambda s: rollbacks.append(1))
        # The caller reads first (an admin service checks who may reverse what).
        assert session.get(JournalTransaction, original.transaction_id) is not None

        result = ledger.reverse_transaction(
            session, original.transaction_id, initiator_id=admin.id, reason="duplicate"
        )

        assert result.status == "posted"
        assert rollbacks == []


def test_a_refused_reversal_ends_the_transaction_it_ran_in(database, alice, bob):
    admin = make_admin(database)
    original = send(database, alice.account_id, bob.account_id, 300)
    with database.session() as session:
        ledger.reverse_transaction(
            session, original.transaction_id, initiator_id=admin.id, reason="once"
        )
        with pytest.raises(ledger.AlreadyReversed):
            ledger.reverse_transaction(
                session, original.transaction_id, initiator_id=admin.id, reason="twice"
            )
        assert not session.in_transaction()
