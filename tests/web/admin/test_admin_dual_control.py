"""Issue 12 item 4: no admin acts alone on large sums or on another admin.

Adjustments and reversals above the dual-control threshold, and locking, demoting or
resetting the two-factor of an admin, wait as a pending admin action until a second,
different admin approves (then happen once, both named in the audit) or rejects them.
"""

from __future__ import annotations

import pytest

from banking.core.models import JournalTransaction, RecoveryCode, User
from banking.extensions import db
from banking.services.actor import Actor
from banking.services.admin import dual_control
from banking.services.admin.errors import AdminActionRefused
from tests.support.admin import admin_client, confirm_action, start_action
from tests.support.audit import audit_rows
from tests.support.builders import balance_of, get_user, make_admin, make_customer
from tests.support.dual_control import (
    OWN,
    adjust,
    journal_count,
    pending_rows,
    promoted_owner,
    second_admin,
    text,
)
from tests.support.ledger import send


# Large adjustments: a second admin ----------------------------------------------------
def test_large_adjustment_waits_for_a_second_admin_then_posts_once(app, client, bob):
    maker = admin_client(app, client)
    page = adjust(client, bob.account_id, "2500.00", reason="branch cash deposit")
    assert "waiting for a second admin" in text(page)
    assert balance_of(app, bob.account_id) == 0
    (action,) = pending_rows(app)
    assert (action.kind, action.amount, action.maker_id, action.status) == (
        "adjustment",
        250_000,
        maker.id,
        "pending",
    )
    overview = text(client.get("/admin/"))
    assert f'data-testid="pending-{action.id}"' in overview and "branch cash deposit" in overview
    assert "Yours: another admin decides" in overview

    # The maker cannot approve their own request.
    own = confirm_action(client, f"/admin/pending/{action.id}/approve", {"reason": "me"})
    assert "You asked for this yourself" in text(own)
    assert balance_of(app, bob.account_id) == 0

    checker_client, checker = second_admin(app)
    done = confirm_action(checker_client, f"/admin/pending/{action.id}/approve", {"reason": "ok"})
    assert "approved and carried out" in text(done)
    assert balance_of(app, bob.account_id) == 250_000
    (decided,) = pending_rows(app)
    assert (decided.status, decided.checker_id, decided.checker_reason) == (
        "approved",
        checker.id,
        "ok",
    )
    with app.app_context():
        txn = db.session.get(JournalTransaction, decided.result_id)
        assert txn.initiator_id == maker.id and txn.amount == 250_000
        db.session.remove()
    (row,) = audit_rows(app, "admin.adjustment")
    assert row.actor_id == checker.id
    assert row.details["maker_id"] == maker.id and row.details["checker_id"] == checker.id
    assert row.details["reason"] == "branch cash deposit"
    assert row.details["approval_reason"] == "ok"

    # A second approval (another admin, or the same one again) changes nothing.
    third_client, _ = second_admin(app, "Third Admin")
    again = confirm_action(third_client, f"/admin/pending/{action.id}/approve", {"reason": "x"})
    assert "already approved" in text(again)
    assert balance_of(app, bob.account_id) == 250_000
    assert len(audit_rows(app, "admin.adjustment")) == 1
    assert f'data-testid="pending-{action.id}"' not in text(client.get("/admin/"))


def test_adjustment_at_the_threshold_posts_at_once(app, client, bob):
    admin_client(app, client)
    page = adjust(client, bob.account_id, "1000.00")
    assert "Adjustment posted" in text(page)
    assert balance_of(app, bob.account_id) == 100_000 and pending_rows(app) == []


def test_the_threshold_is_configurable(app, client, bob):
    app.config["DUAL_CONTROL_THRESHOLD_CENTS"] = 1_000
    admin_client(app, client)
    assert "waiting for a second admin" in text(adjust(client, bob.account_id, "10.01"))
    assert balance_of(app, bob.account_id) == 0


def test_double_submitted_large_adjustment_asks_once(app, client, bob):
    from tests.support.admin import HIDDEN
    from tests.support.audit import audit_rows

    admin_client(app, client)
    url = f"/admin/accounts/{bob.account_id}/adjust"
    first = start_action(client, url, {"direction": "credit", "amount": "5000.00", "reason": "x"})
    fields = dict(HIDDEN.findall(text(first)))
    client.post(url, data=fields)
    client.post(url, data=fields)
    assert len(pending_rows(app)) == 1
    assert len(audit_rows(app, "admin.pending.request")) == 1


def test_rejected_request_changes_nothing(app, client, alice):
    maker = admin_client(app, client)
    adjust(client, alice.account_id, "5000.00", direction="credit")
    (action,) = pending_rows(app)
    checker_client, checker = second_admin(app)
    refused = start_action(checker_client, f"/admin/pending/{action.id}/reject", {"reason": ""})
    assert refused.status_code == 400  # a reason is required
    page = confirm_action(
        checker_client, f"/admin/pending/{action.id}/reject", {"reason": "no deposit slip"}
    )
    assert "rejected" in text(page)
    assert balance_of(app, alice.account_id) == 10_000
    (decided,) = pending_rows(app)
    assert (decided.status, decided.checker_id, decided.checker_reason) == (
        "rejected",
        checker.id,
        "no deposit slip",
    )
    (row,) = audit_rows(app, "admin.pending.reject")
    assert row.actor_id == checker.id and row.details["maker_id"] == maker.id
    late = confirm_action(checker_client, f"/admin/pending/{action.id}/approve", {"reason": "x"})
    assert "already rejected" in text(late)
    assert balance_of(app, alice.account_id) == 10_000
    assert audit_rows(app, "admin.adjustment") == []


def test_a_checker_who_owns_the_account_cannot_decide(app, client):
    admin_client(app, client)
    owner_client = app.test_client()
    owner = promoted_owner(app, owner_client, balance="1.00")
    adjust(client, owner.account_id, "5000.00")
    (action,) = pending_rows(app)
    for verb in ("approve", "reject"):
        page = confirm_action(owner_client, f"/admin/pending/{action.id}/{verb}", {"reason": "x"})
        assert OWN in text(page)
    assert balance_of(app, owner.account_id) == 100
    assert pending_rows(app)[0].status == "pending"


def test_approval_refused_once_the_maker_is_no_longer_an_admin(app, client, bob):
    maker = admin_client(app, client)
    adjust(client, bob.account_id, "5000.00")
    (action,) = pending_rows(app)
    with app.app_context():
        db.session.get(User, maker.id).role = "customer"
        db.session.commit()
        db.session.remove()
    checker_client, _ = second_admin(app)
    page = confirm_action(checker_client, f"/admin/pending/{action.id}/approve", {"reason": "x"})
    assert "no longer an active admin" in text(page)
    assert balance_of(app, bob.account_id) == 0


def test_adjustment_above_the_maximum_is_refused_with_a_clear_message(app, client, bob):
    admin_client(app, client)
    response = start_action(
        client,
        f"/admin/accounts/{bob.account_id}/adjust",
        {"direction": "credit", "amount": "100000.01", "reason": "x"},
    )
    assert response.status_code == 400
    assert "An adjustment can be at most $100,000.00;" in text(response)
    assert balance_of(app, bob.account_id) == 0 and pending_rows(app) == []


def test_the_service_refuses_an_oversized_adjustment_too(app, ctx, bob):
    admin = make_admin(app)
    with pytest.raises(AdminActionRefused, match=r"at most \$100,000\.00;"):
        dual_control.request_adjustment(
            bob.account_id,
            direction="credit",
            amount=10_000_001,
            key="k",
            actor=Actor.web(admin.id),
            reason="x",
        )
    assert pending_rows(app) == []


# Large reversals ----------------------------------------------------------------------
def test_large_reversal_waits_for_a_second_admin(app, client, bob):
    admin_client(app, client)
    rich = make_customer(app, "Rich Sender", balance="3000.00")
    paid = send(app, rich.account_id, bob.account_id, 200_000, owner_id=rich.id)
    before = journal_count(app)
    page = confirm_action(
        client, f"/admin/journal/{paid.transaction_id}/reverse", {"reason": "wrong payee"}
    )
    assert "waiting for a second admin" in text(page)
    assert journal_count(app) == before and balance_of(app, bob.account_id) == 200_000
    again = confirm_action(
        client, f"/admin/journal/{paid.transaction_id}/reverse", {"reason": "again"}
    )
    assert "already waiting for a second admin" in text(again)
    (action,) = pending_rows(app)
    checker_client, checker = second_admin(app)
    confirm_action(checker_client, f"/admin/pending/{action.id}/approve", {"reason": "checked"})
    assert balance_of(app, bob.account_id) == 0
    assert balance_of(app, rich.account_id) == 300_000
    (row,) = audit_rows(app, "admin.transaction.reverse")
    assert row.actor_id == checker.id and row.details["reverses"] == paid.transaction_id


# Admins acting on admins --------------------------------------------------------------
def test_locking_another_admin_waits_for_a_second_admin(app, client):
    admin_client(app, client)
    target_client, target = second_admin(app, "Terry Target")
    page = confirm_action(client, f"/admin/users/{target.id}/lock", {"reason": "suspicious"})
    assert "waiting for a second admin" in text(page)
    assert get_user(app, target.id).is_locked is False
    (action,) = pending_rows(app)
    assert (action.kind, action.target_id) == ("user.lock", target.id)
    # The target cannot decide their own lock.
    own = confirm_action(target_client, f"/admin/pending/{action.id}/reject", {"reason": "no"})
    assert "That is your own user" in text(own)
    checker_client, checker = second_admin(app)
    confirm_action(checker_client, f"/admin/pending/{action.id}/approve", {"reason": "agreed"})
    locked = get_user(app, target.id)
    assert locked.is_locked and locked.locked_reason == "suspicious"
    (row,) = audit_rows(app, "admin.user.lock")
    assert row.actor_id == checker.id and row.details["checker_id"] == checker.id


def test_two_factor_reset_of_another_admin_waits_for_a_second_admin(app, client):
    admin_client(app, client)
    target = make_admin(app, "Terry Target")
    with app.app_context():
        user = db.session.get(User, target.id)
        user.totp_secret, user.totp_enabled = "JBSWY3DPEHPK3PXP", True
        db.session.add(RecoveryCode(user_id=target.id, code_hash="x"))
        db.session.commit()
        db.session.remove()
    page = confirm_action(client, f"/admin/users/{target.id}/reset-2fa", {"reason": "lost"})
    assert "waiting for a second admin" in text(page)
    assert get_user(app, target.id).totp_enabled
    (action,) = pending_rows(app)
    checker_client, _ = second_admin(app)
    confirm_action(checker_client, f"/admin/pending/{action.id}/approve", {"reason": "called"})
    assert not get_user(app, target.id).totp_enabled
    assert len(audit_rows(app, "admin.user.2fa_reset")) == 1


def test_actions_on_customers_still_happen_at_once(app, client, alice):
    admin_client(app, client)
    page = confirm_action(client, f"/admin/users/{alice.id}/lock", {"reason": "fraud"})
    assert "is now locked" in text(page)
    assert get_user(app, alice.id).is_locked and pending_rows(app) == []


def test_pending_page_lists_waiting_and_decided_requests(app, client, bob):
    admin_client(app, client)
    adjust(client, bob.account_id, "5000.00", reason="first")
    adjust(client, bob.account_id, "6000.00", reason="second")
    first, second = pending_rows(app)
    checker_client, _ = second_admin(app)
    confirm_action(checker_client, f"/admin/pending/{first.id}/reject", {"reason": "nope"})
    page = text(checker_client.get("/admin/pending"))
    assert f"/admin/pending/{second.id}/approve" in page
    assert f"/admin/pending/{first.id}/approve" not in page and "nope" in page


def test_unknown_request_is_404(app, client):
    admin_client(app, client)
    assert client.get("/admin/pending/999/approve").status_code == 404


def test_the_direct_services_refuse_what_needs_a_second_admin(app, ctx, bob):
    """Defence in depth: only `dual_control.approve` may post or apply these.

    The posting service refuses a large adjustment outright; the user services, asked by
    an admin on the web to change another admin, only queue the change.
    """
    from banking.core.models import PendingAdminAction
    from banking.services.admin import money as money_actions
    from banking.services.admin import users as user_actions

    admin, other = make_admin(app), make_admin(app, "Otto Other")
    with pytest.raises(AdminActionRefused, match="second admin"):
        money_actions.adjust(
            bob.account_id,
            direction="credit",
            amount=100_001,
            key="k",
            actor=Actor.web(admin.id),
            reason="x",
        )
    for service in (user_actions.lock_user, user_actions.demote_admin):
        queued = service(other.id, actor=Actor.web(admin.id), reason="x")
        assert isinstance(queued, PendingAdminAction)
    db.session.remove()  # end this context's read before the helpers open their own
    assert [row.kind for row in pending_rows(app)] == ["user.lock", "user.demote"]
    assert balance_of(app, bob.account_id) == 0
    assert get_user(app, other.id).role == "admin" and not get_user(app, other.id).is_locked
