"""Dashboard keys are dropped by the session events, whoever moved the money."""

from __future__ import annotations

from uuid import uuid4

import pytest

from banking.caching import user_key
from banking.core import ledger
from banking.core.models import Account
from banking.extensions import cache, db
from banking.services.accounts import rename_account
from tests.support.builders import make_customer

TRANSFER_LIMITS = ledger.Limits(per_transfer=None, daily=None, review_threshold=10_000)


def _cache_dashboards(*user_ids: int) -> None:
    for user_id in user_ids:
        cache.set(user_key("dashboard", user_id), {"stale": True})


def _cached(user_id: int) -> bool:
    return cache.get(user_key("dashboard", user_id)) is not None


def _transfer(jane, john, amount: int, limits: ledger.Limits | None = None):
    return ledger.post_transfer(
        db.session,
        source_id=jane.account_id,
        destination_id=john.account_id,
        amount=amount,
        initiator_id=jane.id,
        key=str(uuid4()),
        owner_id=jane.id,
        limits=limits,
    )


def test_a_ledger_movement_without_the_facade_invalidates_both_owners(app):
    jane = make_customer(app, "Jane Doe", balance="100.00")
    john = make_customer(app, "John Smith")
    with app.app_context():
        _cache_dashboards(jane.id, john.id)

        _transfer(jane, john, 2_500)

        assert not _cached(jane.id)
        assert not _cached(john.id)


def test_a_transfer_under_every_customer_limit_invalidates_both_owners(app):
    """On PostgreSQL this posting flushes no Account object (the ledger writes it with one
    SQL statement): the owners it touched are announced through the session instead."""
    jane = make_customer(app, "Jane Doe", balance="100.00")
    john = make_customer(app, "John Smith")
    with app.app_context():
        _cache_dashboards(jane.id, john.id)

        result = _transfer(
            jane,
            john,
            2_500,
            ledger.Limits(per_transfer=5_000, daily=10_000, review_threshold=5_000),
        )

        assert result.status == "posted"
        assert not _cached(jane.id)
        assert not _cached(john.id)


def test_a_refused_transfer_invalidates_nobody(app):
    jane = make_customer(app, "Jane Doe", balance="10.00")
    john = make_customer(app, "John Smith")
    with app.app_context():
        _cache_dashboards(jane.id, john.id)

        with pytest.raises(ledger.InsufficientFunds):
            _transfer(jane, john, 2_500)

        assert _cached(jane.id)
        assert _cached(john.id)


def test_a_held_transfer_invalidates_the_recipient_who_sees_it_pending(app):
    jane = make_customer(app, "Jane Doe", balance="500.00")
    john = make_customer(app, "John Smith")
    with app.app_context():
        _cache_dashboards(jane.id, john.id)

        result = _transfer(jane, john, 20_000, TRANSFER_LIMITS)

        assert result.status == "pending"
        assert not _cached(john.id)


def test_a_rolled_back_change_invalidates_nobody(app):
    jane = make_customer(app, "Jane Doe")
    with app.app_context():
        _cache_dashboards(jane.id)
        account = db.session.get(Account, jane.account_id)
        account.balance += 1
        db.session.flush()
        db.session.rollback()
        db.session.commit()  # a later commit must not act on the forgotten flush

        assert _cached(jane.id)


def test_an_account_rename_invalidates_its_owner(app):
    jane = make_customer(app, "Jane Doe")
    with app.app_context():
        _cache_dashboards(jane.id)

        rename_account(db.session.get(Account, jane.account_id), "Bills")

        assert not _cached(jane.id)


def test_a_change_the_dashboard_does_not_show_keeps_the_cache(app):
    jane = make_customer(app, "Jane Doe")
    with app.app_context():
        _cache_dashboards(jane.id)
        db.session.get(Account, jane.account_id).overdraft_limit = 5_000
        db.session.commit()

        assert _cached(jane.id)
