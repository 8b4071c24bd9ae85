"""Issue 12 item 4: no admin deals with their own money or their own user.

An admin who also owns an account (a customer promoted before `users promote` refused
it) cannot adjust, freeze, unfreeze or close it, nor reverse or decide a transfer that
touches it; no admin resets, unlocks or signs out their own user through admin powers.
"""

from __future__ import annotations

import pytest

from banking.core.models import Account, User
from banking.extensions import db
from tests.support.admin import admin_client, confirm_action
from tests.support.audit import audit_rows
from tests.support.builders import balance_of, get_account, get_user
from tests.support.dual_control import OWN, OWN_TXN, adjust, pending_rows, promoted_owner, text
from tests.support.ledger import hold, send, state


# Self-dealing -------------------------------------------------------------------------
def test_admin_cannot_adjust_an_account_they_own(app, client):
    owner = promoted_owner(app, client)
    for amount in ("9999.00", "10.00"):  # above and below the dual-control threshold
        page = adjust(client, owner.account_id, amount)
        assert OWN in text(page)
    page = adjust(client, owner.account_id, "50.00", direction="withdrawal")
    assert OWN in text(page)
    assert balance_of(app, owner.account_id) == 10_000
    assert audit_rows(app, "admin.adjustment") == [] and pending_rows(app) == []


def test_admin_cannot_unfreeze_freeze_or_close_an_account_they_own(app, client):
    owner = promoted_owner(app, client)
    with app.app_context():
        account = db.session.get(Account, owner.account_id)
        account.status, account.status_reason = "frozen", "fraud"
        db.session.commit()
        db.session.remove()
    for action in ("unfreeze", "freeze", "close"):
        page = confirm_action(
            client, f"/admin/accounts/{owner.account_id}/{action}", {"reason": "x"}
        )
        assert OWN in text(page), action
    assert state(app, owner.account_id) == (10_000, 10_000)
    assert get_account(app, owner.account_id).status == "frozen"
    assert audit_rows(app, "admin.account.unfreeze") == []


def test_admin_cannot_approve_or_reject_a_held_transfer_touching_their_account(app, client, alice):
    owner = promoted_owner(app, client)
    outgoing = hold(app, owner, alice.account_id, 5_000)
    incoming = hold(app, alice, owner.account_id, 2_000)
    for txn_id in (outgoing.transaction_id, incoming.transaction_id):
        for verb in ("approve", "reject"):
            page = confirm_action(client, f"/admin/reviews/{txn_id}/{verb}", {"reason": "ok"})
            assert OWN_TXN in text(page), verb
    assert state(app, owner.account_id) == (10_000, 5_000)  # both still held
    assert state(app, alice.account_id) == (10_000, 8_000)
    assert audit_rows(app, "admin.review.approve") == audit_rows(app, "admin.review.reject") == []


def test_admin_cannot_reverse_a_transaction_touching_their_account(app, client, alice):
    owner = promoted_owner(app, client)
    paid = send(app, alice.account_id, owner.account_id, 4_000, owner_id=alice.id)
    page = confirm_action(
        client, f"/admin/journal/{paid.transaction_id}/reverse", {"reason": "mine"}
    )
    assert OWN_TXN in text(page)
    assert balance_of(app, owner.account_id) == 14_000
    assert audit_rows(app, "admin.transaction.reverse") == []


@pytest.mark.parametrize("action", ["reset-password", "reset-2fa", "unlock"])
def test_admin_cannot_act_on_their_own_user(app, client, action):
    admin = admin_client(app, client)
    before = get_user(app, admin.id)
    with app.app_context():
        user = db.session.get(User, admin.id)
        user.totp_secret, user.totp_enabled = "JBSWY3DPEHPK3PXP", True
        db.session.commit()
        db.session.remove()
    page = confirm_action(client, f"/admin/users/{admin.id}/{action}", {"reason": "me"})
    assert "That is your own user" in text(page)
    after = get_user(app, admin.id)
    assert after.session_token == before.session_token and after.totp_enabled
    assert audit_rows(app, f"admin.user.{action.replace('-', '_')}") == []
