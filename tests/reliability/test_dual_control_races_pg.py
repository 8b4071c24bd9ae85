"""A pending admin action is carried out at most once under real concurrency (PostgreSQL).

Two checkers decide the same request at the same moment. To make the race certain, the
unlocked pre-check (`dual_control._decidable`) waits on a barrier until both requests
have passed it: a read-then-write approval would then execute twice (or approve *and*
reject). The conditional UPDATE `WHERE status = 'pending'`, in the same transaction as
the effect, lets exactly one of them win.
"""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from banking.core.models import AuditEvent, JournalTransaction, PendingAdminAction
from banking.extensions import db
from banking.services.actor import Actor
from banking.services.admin import dual_control, users
from banking.services.admin.errors import AdminActionRefused
from tests.reliability.test_auth_races_pg import race
from tests.support.builders import balance_of, get_user, make_admin

BARRIER_SECONDS = 2.0


def both_pass_the_precheck(monkeypatch) -> None:
    barrier = threading.Barrier(2)
    original = dual_control._decidable

    def waiting(*args, **kwargs):
        found = original(*args, **kwargs)
        try:
            barrier.wait(timeout=BARRIER_SECONDS)
        except threading.BrokenBarrierError:
            pass
        return found

    monkeypatch.setattr(dual_control, "_decidable", waiting)


def decide(app, action_id: int, checker_id: int, *, approve: bool):
    def call() -> str:
        with app.app_context():
            service = dual_control.approve if approve else dual_control.reject
            try:
                service(action_id, actor=Actor.web(checker_id), reason="race")
                return "approved" if approve else "rejected"
            except AdminActionRefused as exc:
                return exc.message
            finally:
                db.session.remove()

    return call


def requested(app, account_id: int, maker_id: int) -> int:
    with app.app_context():
        action = dual_control.request_adjustment(
            account_id,
            direction="credit",
            amount=500_000,
            key="race",
            actor=Actor.web(maker_id),
            reason="big deposit",
        )
        action_id = action.id
        db.session.remove()
    return action_id


def count(app, query) -> int:
    with app.app_context():
        value = db.session.scalar(query)
        db.session.remove()
        return value


def test_two_admins_approving_at_once_post_the_adjustment_once(
    app, requires_postgres, monkeypatch, bob
):
    maker, first, second = (make_admin(app, name) for name in ("Mo Maker", "Ann One", "Ben Two"))
    action_id = requested(app, bob.account_id, maker.id)
    both_pass_the_precheck(monkeypatch)

    results = race(
        [
            decide(app, action_id, first.id, approve=True),
            decide(app, action_id, second.id, approve=True),
        ]
    )

    assert sorted(results) == sorted(["approved", dual_control.ALREADY_DECIDED]), results
    assert balance_of(app, bob.account_id) == 500_000
    adjustments = select(func.count(JournalTransaction.id)).where(
        JournalTransaction.kind == "adjustment"
    )
    assert count(app, adjustments) == 1
    rows = select(func.count(AuditEvent.id)).where(AuditEvent.action == "admin.adjustment")
    assert count(app, rows) == 1


def test_approve_racing_reject_lets_exactly_one_win(app, requires_postgres, monkeypatch, bob):
    maker, first, second = (make_admin(app, name) for name in ("Mo Maker", "Ann One", "Ben Two"))
    action_id = requested(app, bob.account_id, maker.id)
    both_pass_the_precheck(monkeypatch)

    results = race(
        [
            decide(app, action_id, first.id, approve=True),
            decide(app, action_id, second.id, approve=False),
        ]
    )

    assert dual_control.ALREADY_DECIDED in results, results
    status = count(app, select(PendingAdminAction.status).where(PendingAdminAction.id == action_id))
    winner = "approved" if "approved" in results else "rejected"
    assert status == winner
    assert balance_of(app, bob.account_id) == (500_000 if winner == "approved" else 0)


def test_two_admins_approving_an_admin_lock_at_once_lock_once(app, requires_postgres, monkeypatch):
    maker, target, first, second = (
        make_admin(app, name) for name in ("Mo Maker", "Tia Target", "Ann One", "Ben Two")
    )
    with app.app_context():
        action_id = users.lock_user(target.id, actor=Actor.web(maker.id), reason="suspicious").id
        db.session.remove()
    both_pass_the_precheck(monkeypatch)

    results = race(
        [
            decide(app, action_id, first.id, approve=True),
            decide(app, action_id, second.id, approve=True),
        ]
    )

    assert sorted(results) == sorted(["approved", dual_control.ALREADY_DECIDED]), results
    assert get_user(app, target.id).is_locked
    rows = select(func.count(AuditEvent.id)).where(AuditEvent.action == "admin.user.lock")
    assert count(app, rows) == 1
