"""The notification catalogue, and notices written by the posting itself (no app).

On PostgreSQL (TEST_DATABASE_URL) the posting takes `ledger/sqlpath.py`, where the
recipient's notice is one more CTE of the single write statement; on SQLite the ORM path
adds it in the same transaction. Either way it exists exactly when the money moved.
"""

from __future__ import annotations

from uuid import uuid4

import pytest
from sqlalchemy import select

from banking.core import ledger
from banking.core import notifications as catalogue
from banking.core.audit import transaction_hook
from banking.core.models import AuditEvent, Notification
from tests.support.builders import set_status
from tests.support.database import as_database
from tests.support.ledger import send


# The catalogue -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "preference", "emailed"),
    [
        ("incoming_transfer", None, True),  # on by default
        ("incoming_transfer", False, False),
        ("schedule_failed", True, True),
        ("new_device_sign_in", False, True),  # security: whatever is stored
        ("two_factor_changed", False, True),
        ("password_changed", True, False),  # its own email already goes out
        ("no_such_kind", True, False),
    ],
)
def test_who_gets_an_email(kind, preference, emailed):
    assert catalogue.wants_email(kind, preference) is emailed


def test_security_kinds_are_the_three_the_issue_names():
    security = {k for k, info in catalogue.CATALOGUE.items() if info.security}
    assert security == {"new_device_sign_in", "password_changed", "two_factor_changed"}


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown notification kind"):
        catalogue.build(1, "gossip", "t", "b")


def test_wording_names_accounts_by_their_last_four_digits_only():
    notice = catalogue.incoming_transfer(
        7,
        amount=123_456,
        currency="EUR",
        sender="J*** D***",
        account=catalogue.account_label("Everyday", "••••4321"),
        account_id=3,
    )
    assert notice.title == "You received €1,234.56"
    assert notice.body == "J*** D*** sent you €1,234.56 into Everyday ••••4321."
    assert notice.link == "/accounts/3/history"
    # A default name already ends in the digits: they are not repeated.
    assert catalogue.account_label("Checking ••••4321", "••••4321") == "Checking ••••4321"


# Written by the posting --------------------------------------------------------------------
def _hook(recipient_id: int, sender_id: int):
    audit = transaction_hook("transfer.posted", actor_id=sender_id, details=lambda txn: {})

    def incoming(txn):
        return [
            catalogue.incoming_transfer(
                recipient_id, amount=txn.amount, currency="USD", sender="A*** A***",
                account="Checking ••••0000", account_id=txn.destination_account_id,
            )
        ]  # fmt: skip

    return catalogue.WithNotices(audit, incoming)


def _notices(database) -> list[Notification]:
    with as_database(database).session() as session:
        rows = session.scalars(select(Notification).order_by(Notification.id)).all()
        session.expunge_all()
        return list(rows)


def test_the_notice_commits_with_the_posting_and_a_replay_writes_none(database, alice, bob):
    key = str(uuid4())
    hook = _hook(bob.id, alice.id)
    first = send(database, alice.account_id, bob.account_id, 500, initiator_id=alice.id,
                 key=key, on_posted=hook)  # fmt: skip
    again = send(database, alice.account_id, bob.account_id, 500, initiator_id=alice.id,
                 key=key, on_posted=hook)  # fmt: skip

    assert first.status == "posted" and again.replayed
    (notice,) = _notices(database)
    assert (notice.user_id, notice.kind) == (bob.id, "incoming_transfer")
    assert notice.title == "You received $5.00"
    with as_database(database).session() as session:
        audits = session.scalars(select(AuditEvent).where(AuditEvent.action == "transfer.posted"))
        assert len(audits.all()) == 1  # the audit row, beside it in the same statement


def test_a_refused_posting_writes_no_notice(database, alice, bob):
    set_status(database, bob.account_id, "frozen")
    with pytest.raises(ledger.LedgerError):
        send(database, alice.account_id, bob.account_id, 500, initiator_id=alice.id,
             on_posted=_hook(bob.id, alice.id))  # fmt: skip
    assert _notices(database) == []


def test_the_postgresql_path_names_the_notice_for_what_follows_the_commit(database, alice, bob):
    """`session.info[WRITTEN]` carries the written notice's id (the email task names it)."""
    with as_database(database).session() as session:
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("the ORM path's flush is collected by the app's session events")
        seen = []
        from sqlalchemy import event

        def grab(s):
            seen.extend(s.info.get(catalogue.WRITTEN, []))

        event.listen(session, "before_commit", grab)
        ledger.post_transfer(
            session, source_id=alice.account_id, destination_id=bob.account_id, amount=100,
            initiator_id=alice.id, key=str(uuid4()), on_posted=_hook(bob.id, alice.id),
        )  # fmt: skip
    (notice,) = _notices(database)
    assert seen == [(notice.id, bob.id, "incoming_transfer")]
