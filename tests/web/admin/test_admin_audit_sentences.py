"""The audit log reads as sentences (issue 16, item 18): "moved $42.50 from ••••8391 to
••••8774", not `amount: 4250; source_account_id: 19`; unknown actions still read as words,
and a secret-looking detail is never shown."""

from __future__ import annotations

import html
import re
from uuid import uuid4

from banking.core.models import AuditEvent
from banking.extensions import db
from banking.services import transfers
from tests.support.admin import admin_client, confirm_action
from tests.support.builders import make_customer


def audit_page(client, query: str = "") -> str:
    response = client.get(f"/admin/audit{query}")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def sentences(page: str) -> list[str]:
    return re.findall(r'<span class="audit-sentence">(.*?)</span>', page, re.S)


def masked(number: str) -> str:
    return f"••••{number[-4:]}"


def write_event(app, action: str, details: dict, **fields) -> None:
    """A row as another writer (or an older version of the app) may have left it: straight
    into the table, past `audit.build`'s filter."""
    with app.app_context():
        db.session.add(AuditEvent(action=action, details=details, **fields))
        db.session.commit()
        db.session.remove()


def test_a_transfer_reads_as_a_sentence_with_money_and_masked_accounts(app, client):
    admin_client(app, client)
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    with app.test_request_context():
        transfers.make_transfer(
            alice.id,
            source_id=alice.account_id,
            destination_number=bob.account_number,
            amount=4_250,
            memo="",
            key=str(uuid4()),
        )
        db.session.remove()

    page = audit_page(client, "?action=transfer.posted")
    expected = f"moved $42.50 from {masked(alice.account_number)} to {masked(bob.account_number)}"
    assert sentences(page) == [expected]
    assert "source_account_id" not in page and "amount: 4250" not in page
    assert "Alice Able" in page  # who did it, by name


def test_admin_actions_read_as_sentences_with_their_reason(app, client):
    admin = admin_client(app, client)
    alice = make_customer(app, "Alice Able", balance="10.00")
    confirm_action(client, f"/admin/accounts/{alice.account_id}/freeze", {"reason": "court order"})
    confirm_action(client, f"/admin/users/{alice.id}/lock", {"reason": "fraud"})
    confirm_action(
        client,
        f"/admin/accounts/{alice.account_id}/adjust",
        {"direction": "deposit", "amount": "42.50", "reason": "branch cash"},
    )

    page = audit_page(client, f"?actor={admin.email}")
    told = sentences(page)
    assert f"froze account {masked(alice.account_number)}: reason “court order”" in told
    assert "locked Alice Able: reason “fraud”" in told
    assert f"deposited $42.50 into {masked(alice.account_number)}: reason “branch cash”" in told
    # What each event is about links to its page.
    assert f'href="/admin/users/{alice.id}">Alice Able</a>' in page
    assert f'href="/admin/accounts/{alice.account_id}">{masked(alice.account_number)}</a>' in page
    # The user's own page tells its trail the same way.
    detail = html.unescape(client.get(f"/admin/users/{alice.id}").get_data(as_text=True))
    assert "locked Alice Able: reason “fraud”" in sentences(detail)


def test_an_unknown_action_still_reads_as_words(app, client):
    admin_client(app, client)
    write_event(app, "vault.door_opened", {"door_name": "north", "minutes": 5})
    told = sentences(audit_page(client, "?action=vault.door_opened"))
    assert told == ["Vault door opened: door name “north”, minutes “5”"]


def test_old_details_of_an_unexpected_shape_do_not_break_the_page(app, client):
    admin_client(app, client)
    write_event(app, "transfer.posted", {"amount": "lots", "source_account_id": "x"})
    told = sentences(audit_page(client, "?action=transfer.posted"))
    assert told == ["moved an amount from an account to an account"]


def test_secret_details_are_never_shown(app, client):
    admin_client(app, client)
    secrets = {
        "password": "hunter2-secret-1",
        "reset_token": "tok-secret-2",
        "otp": "123999",
        "session_id": "sess-secret-3",
    }
    write_event(app, "vault.event", {**secrets, "note": "visible"})
    write_event(app, "auth.login", {**secrets, "method": "password"})

    page = audit_page(client)
    assert "Vault event: note “visible”" in sentences(page)
    assert "signed in with a password" in sentences(page)
    csv = client.get("/admin/audit.csv").get_data(as_text=True)
    for value in secrets.values():
        assert value not in page
        assert value not in csv


def test_a_statement_run_reads_as_a_sentence(app, client):
    admin_client(app, client)
    write_event(
        app,
        "statement.production_run",
        {"produced": 7, "already": 2, "failed": 1, "via": "worker"},
        target_type="statement_period",
        target_id="2026-03",
    )

    page = audit_page(client, "?action=statement.production_run")

    assert sentences(page) == [
        "issued the statements for 2026-03: 7 produced, 2 already issued, 1 failed"
        " (by the background worker)"
    ]
