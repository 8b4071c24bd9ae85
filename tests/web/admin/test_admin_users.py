"""Admin user management: search, detail, lock/unlock, role, password and 2FA resets."""

from __future__ import annotations

from sqlalchemy import func, select

from banking.core.models import RecoveryCode, User
from banking.extensions import db
from banking.services import email as email_service
from tests.support.admin import (
    admin_client,
    confirm_action,
    start_action,
    walk_pages,
)
from tests.support.audit import audit_rows
from tests.support.builders import get_user, make_admin, make_customer
from tests.support.forms import submit
from tests.support.jobs import failed_jobs
from tests.support.sessions import login_as


def test_search_finds_users_by_name_or_email(app, client):
    admin_client(app, client)
    make_customer(app, "Grace Hopper", "grace@example.com")
    make_customer(app, "Alan Turing", "alan@example.com")
    by_name = client.get("/admin/users?q=hopper").get_data(as_text=True)
    assert "Grace Hopper" in by_name and "Alan Turing" not in by_name
    by_email = client.get("/admin/users?q=ALAN@").get_data(as_text=True)
    assert "Alan Turing" in by_email and "Grace Hopper" not in by_email


def test_search_treats_like_wildcards_as_text(app, client):
    admin_client(app, client)
    make_customer(app, "Grace Hopper")
    page = client.get("/admin/users?q=%25").get_data(as_text=True)
    assert "Grace Hopper" not in page


def test_user_list_pages_with_a_cursor_and_shows_everyone_once(app, client):
    app.config["ADMIN_PAGE_SIZE"] = 2
    admin_client(app, client)
    for index in range(4):
        make_customer(app, f"Pager{index} Person")
    pages = walk_pages(client, "/admin/users?q=pager")
    assert len(pages) == 2
    seen = [f"Pager{i} Person" for i in range(4) for page in pages if f"Pager{i} Person" in page]
    assert sorted(seen) == [f"Pager{i} Person" for i in range(4)]


def test_user_detail_shows_accounts_movements_and_audit_trail(app, client):
    admin_client(app, client)
    customer = make_customer(app, "Grace Hopper", balance="125.00")
    page = client.get(f"/admin/users/{customer.id}").get_data(as_text=True)
    assert customer.account_number in page
    assert "$125.00" in page
    assert "deposit" in page


def test_unknown_user_is_404(app, client):
    admin_client(app, client)
    assert client.get("/admin/users/999999").status_code == 404


def test_lock_needs_a_reason(app, client):
    admin_client(app, client)
    customer = make_customer(app)
    response = start_action(client, f"/admin/users/{customer.id}/lock", {"reason": "  "})
    assert response.status_code == 400
    assert "Write down why" in response.get_data(as_text=True)
    assert get_user(app, customer.id).is_locked is False


def test_reason_longer_than_200_characters_is_refused(app, client):
    admin_client(app, client)
    customer = make_customer(app)
    response = start_action(client, f"/admin/users/{customer.id}/lock", {"reason": "x" * 201})
    assert response.status_code == 400
    assert get_user(app, customer.id).is_locked is False


def test_lock_waits_for_confirmation(app, client):
    admin_client(app, client)
    customer = make_customer(app)
    response = start_action(client, f"/admin/users/{customer.id}/lock", {"reason": "fraud"})
    assert response.status_code == 200
    assert "Confirm: Lock user" in response.get_data(as_text=True)
    assert get_user(app, customer.id).is_locked is False


def test_locking_a_user_signs_them_out_and_is_audited(app, client):
    admin = admin_client(app, client)
    customer = make_customer(app)
    customer_client = app.test_client()
    login_as(customer_client, app, customer.id)
    assert customer_client.get("/").status_code == 200

    page = confirm_action(client, f"/admin/users/{customer.id}/lock", {"reason": "fraud report"})
    assert "is now locked" in page.get_data(as_text=True)
    user = get_user(app, customer.id)
    assert user.is_locked and user.locked_reason == "fraud report"
    assert customer_client.get("/").status_code == 302  # their session no longer loads
    (row,) = audit_rows(app, "admin.user.lock")
    assert row.actor_id == admin.id and row.target_id == str(customer.id)
    assert row.details["reason"] == "fraud report"


def test_unlock_restores_access(app, client):
    admin_client(app, client)
    customer = make_customer(app)
    confirm_action(client, f"/admin/users/{customer.id}/lock", {"reason": "fraud"})
    page = confirm_action(client, f"/admin/users/{customer.id}/unlock", {"reason": "cleared"})
    assert "is unlocked" in page.get_data(as_text=True)
    user = get_user(app, customer.id)
    assert not user.is_locked and user.locked_reason is None
    assert len(audit_rows(app, "admin.user.unlock")) == 1


def test_admin_cannot_lock_themselves(app, client):
    admin = admin_client(app, client)
    page = confirm_action(client, f"/admin/users/{admin.id}/lock", {"reason": "oops"})
    assert "cannot lock your own account" in page.get_data(as_text=True)
    assert get_user(app, admin.id).is_locked is False
    assert audit_rows(app, "admin.user.lock") == []


def test_admin_cannot_demote_themselves(app, client):
    admin = admin_client(app, client)
    page = confirm_action(
        client, f"/admin/users/{admin.id}/role", {"reason": "oops", "role": "customer"}
    )
    assert "cannot change your own role" in page.get_data(as_text=True)
    assert get_user(app, admin.id).role == "admin"


def test_the_web_cannot_make_anyone_an_admin(app, client):
    """Admins are created only on the server (flask create-admin / flask users promote)."""
    admin_client(app, client)
    customer = make_customer(app)
    detail = client.get(f"/admin/users/{customer.id}").get_data(as_text=True)
    assert f"/admin/users/{customer.id}/role" not in detail
    form = client.get(f"/admin/users/{customer.id}/role").get_data(as_text=True)
    assert 'value="admin"' not in form
    page = confirm_action(
        client, f"/admin/users/{customer.id}/role", {"reason": "hired", "role": "admin"}
    )
    assert "not an admin" in page.get_data(as_text=True)
    url = f"/admin/users/{customer.id}"
    assert submit(client, f"{url}/promote", {"reason": "x"}, form_url=url).status_code == 404
    assert get_user(app, customer.id).role == "customer"
    assert audit_rows(app, "admin.user.role") == []


def test_admin_can_demote_another_admin_once_a_second_admin_approves(app, client):
    maker = admin_client(app, client)
    other = make_admin(app, "Otto Other")
    before = get_user(app, other.id).session_token
    detail = client.get(f"/admin/users/{other.id}").get_data(as_text=True)
    assert "Remove admin role" in detail
    page = confirm_action(client, f"/admin/users/{other.id}/role", {"reason": "left the team"})
    assert "waiting for a second admin" in page.get_data(as_text=True)
    assert get_user(app, other.id).role == "admin"  # dual control: nothing yet
    (request,) = audit_rows(app, "admin.pending.request")

    checker_client = app.test_client()
    checker = admin_client(app, checker_client)
    page = confirm_action(
        checker_client, f"/admin/pending/{request.target_id}/approve", {"reason": "confirmed"}
    )
    assert "approved" in page.get_data(as_text=True)
    demoted = get_user(app, other.id)
    assert demoted.role == "customer" and demoted.session_token != before
    (row,) = audit_rows(app, "admin.user.role")
    assert row.details["old"] == "admin" and row.details["new"] == "customer"
    assert row.actor_id == checker.id and row.details["maker_id"] == maker.id
    assert row.details["reason"] == "left the team"


def test_force_password_reset_emails_a_link_and_signs_the_user_out(app, client):
    admin_client(app, client)
    customer = make_customer(app, email="reset.me@example.com")
    before = get_user(app, customer.id).session_token
    page = confirm_action(
        client, f"/admin/users/{customer.id}/reset-password", {"reason": "account takeover"}
    )
    assert "password reset email" in page.get_data(as_text=True)
    (mail,) = [m for m in email_service.outbox if m.to == "reset.me@example.com"]
    assert "/auth/reset" in mail.body
    assert get_user(app, customer.id).session_token != before
    assert len(audit_rows(app, "admin.user.password_reset")) == 1


def test_force_password_reset_with_the_mail_server_down_queues_the_email_for_a_retry(
    app, client, monkeypatch
):
    from tests.web.auth.test_auth_reset import smtp_down

    admin_client(app, client)
    customer = make_customer(app, email="no.mail@example.com")
    before = get_user(app, customer.id).session_token
    smtp_down(app, monkeypatch)
    page = confirm_action(
        client, f"/admin/users/{customer.id}/reset-password", {"reason": "account takeover"}
    )
    assert page.status_code == 200  # the user's page again, not an error
    assert get_user(app, customer.id).session_token != before  # the sign-out holds
    (job,) = failed_jobs(app)  # SMTP refused it: listed for a retry, not lost
    assert job.args == ["password_reset", customer.id]
    assert len(audit_rows(app, "admin.user.password_reset")) == 1


def test_reset_two_factor_clears_secret_and_recovery_codes(app, client):
    admin_client(app, client)
    customer = make_customer(app)
    with app.app_context():
        user = db.session.get(User, customer.id)
        user.totp_secret = "JBSWY3DPEHPK3PXP"
        user.totp_enabled = True
        user.totp_last_counter = 12
        db.session.add(RecoveryCode(user_id=user.id, code_hash="x"))
        db.session.commit()
        db.session.remove()
    page = confirm_action(client, f"/admin/users/{customer.id}/reset-2fa", {"reason": "lost phone"})
    assert "two-factor authentication reset" in page.get_data(as_text=True)
    user = get_user(app, customer.id)
    assert user.totp_secret is None and not user.totp_enabled and user.totp_last_counter is None
    with app.app_context():
        codes = db.session.scalar(
            select(func.count(RecoveryCode.id)).where(RecoveryCode.user_id == customer.id)
        )
        db.session.remove()
    assert codes == 0
    assert len(audit_rows(app, "admin.user.2fa_reset")) == 1
