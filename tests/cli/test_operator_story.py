"""The admin issue's whole story, the way an operator lives it, in one test.

Create the first admin from the shell, seed a demo bank, then from the dashboard find a
customer, freeze their account, approve the held transfer and reverse it as a mistake;
every step leaves its audit row and `flask ledger verify` stays clean.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from banking.core.models import Account, JournalTransaction
from banking.extensions import db
from tests.support.admin import confirm_action
from tests.support.audit import audit_rows
from tests.support.builders import login

ADMIN_EMAIL = "olive.ops@example.com"
ADMIN_PASSWORD = "a long and quiet operator passphrase"
CHECKER_EMAIL = "carl.check@example.com"


def links(page, pattern: str) -> list[int]:
    return [int(found) for found in re.findall(pattern, page.get_data(as_text=True))]


def balances(app, account_id: int) -> tuple[int, int]:
    with app.app_context():
        account = db.session.get(Account, account_id)
        return account.balance, account.available_balance


def test_operator_creates_an_admin_seeds_a_bank_freezes_approves_and_reverses(app, client, runner):
    made = runner.invoke(
        args=["create-admin", "--email", ADMIN_EMAIL, "--name", "Olive Ops", "--password-stdin"],
        input=ADMIN_PASSWORD + "\n",
    )
    assert made.exit_code == 0, made.output
    seeded = runner.invoke(args=["seed-demo", "--customers", "4", "--months", "2", "--seed", "7"])
    assert seeded.exit_code == 0, seeded.output

    signed_in = login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert signed_in.status_code == 302
    assert client.get("/admin/").status_code == 200

    # Find a customer by name, open their account from their page, freeze it.
    (user_id, *_) = links(client.get("/admin/users?q=alice"), r'href="/admin/users/(\d+)"')
    (account_id, *_) = links(client.get(f"/admin/users/{user_id}"), r'href="/admin/accounts/(\d+)"')
    frozen = confirm_action(
        client, f"/admin/accounts/{account_id}/freeze", {"reason": "card reported stolen"}
    )
    assert "is frozen" in frozen.get_data(as_text=True)

    # Approve the transfer the demo bank left waiting for review.
    (held_id, *_) = links(client.get("/admin/reviews"), r"/admin/reviews/(\d+)/approve")
    with app.app_context():
        held = db.session.get(JournalTransaction, held_id)
        source_id, amount = held.source_account_id, held.amount
    before = balances(app, source_id)
    approved = confirm_action(
        client, f"/admin/reviews/{held_id}/approve", {"reason": "customer confirmed by phone"}
    )
    assert approved.status_code == 200
    assert balances(app, source_id) == (before[0] - amount, before[1])

    # It was a mistake after all: reverse it, once. It is a large sum, so a second admin
    # (dual control) must approve the reversal before it posts.
    reversed_page = confirm_action(
        client, f"/admin/journal/{held_id}/reverse", {"reason": "sent to the wrong payee"}
    )
    assert "waiting for a second admin" in reversed_page.get_data(as_text=True)
    assert balances(app, source_id) == (before[0] - amount, before[1])
    made = runner.invoke(
        args=["create-admin", "--email", CHECKER_EMAIL, "--name", "Carl Check", "--password-stdin"],
        input=ADMIN_PASSWORD + "\n",
    )
    assert made.exit_code == 0, made.output
    checker = app.test_client()
    assert login(checker, CHECKER_EMAIL, ADMIN_PASSWORD).status_code == 302
    (pending_id, *_) = links(checker.get("/admin/"), r"/admin/pending/(\d+)/approve")
    approved_reversal = confirm_action(
        checker, f"/admin/pending/{pending_id}/approve", {"reason": "checked with the payee"}
    )
    assert approved_reversal.status_code == 200
    # The money is back, and no longer reserved by the hold either.
    assert balances(app, source_id) == (before[0], before[0])
    with app.app_context():
        reversal = db.session.scalar(
            select(JournalTransaction).where(JournalTransaction.reverses_id == held_id)
        )
        assert reversal is not None and reversal.amount == amount

    for action, reason in [
        ("admin.account.freeze", "card reported stolen"),
        ("admin.review.approve", "customer confirmed by phone"),
        ("admin.transaction.reverse", "sent to the wrong payee"),
    ]:
        (row,) = audit_rows(app, action)
        assert row.details["reason"] == reason
        assert row.actor_id is not None

    verified = runner.invoke(args=["ledger", "verify", "--deep"])
    assert verified.exit_code == 0, verified.output
