"""`flask users ...`: operators list users and change their access, with an audit row each."""

from sqlalchemy import select

from banking.core import ledger
from banking.core.models import Account, AuditEvent, PendingAdminAction, User
from banking.extensions import db
from tests.support.builders import get_user, login, make_admin, make_customer


def audit_rows(app, action):
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        return [(row.actor_id, row.target_type, row.target_id, row.details) for row in rows]


def test_list_shows_every_user_with_role_and_status(app, runner):
    alice = make_customer(app, "Alice Able", "alice@example.com")
    admin = make_admin(app, "Ada Admin", "ada@example.com")
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0
    assert alice.email in result.output
    assert admin.email in result.output
    assert "2 user(s)." in result.output


def test_list_filters_by_role(app, runner):
    make_customer(app, "Alice Able", "alice@example.com")
    make_admin(app, "Ada Admin", "ada@example.com")
    result = runner.invoke(args=["users", "list", "--role", "admin"])
    assert "ada@example.com" in result.output
    assert "alice@example.com" not in result.output


def test_list_searches_email_and_name_case_insensitively(app, runner):
    make_customer(app, "Alice Able", "alice@example.com")
    make_customer(app, "Bob Baker", "bob@example.com")
    by_name = runner.invoke(args=["users", "list", "--search", "BAKER"])
    assert "bob@example.com" in by_name.output
    assert "alice@example.com" not in by_name.output
    by_email = runner.invoke(args=["users", "list", "--search", "alice@"])
    assert "alice@example.com" in by_email.output
    assert "bob@example.com" not in by_email.output


def test_list_with_no_match_says_so(app, runner):
    result = runner.invoke(args=["users", "list", "--search", "nobody"])
    assert result.exit_code == 0
    assert "No users match." in result.output


def test_lock_stops_sign_in_and_is_audited(app, runner, client):
    alice = make_customer(app, "Alice Able", "alice@example.com")
    result = runner.invoke(args=["users", "lock", "alice@example.com", "--reason", "fraud report"])
    assert result.exit_code == 0, result.output
    assert "Locked alice@example.com" in result.output
    user = get_user(app, alice.id)
    assert user.is_locked
    assert user.locked_reason == "fraud report"
    assert audit_rows(app, "admin.user.lock") == [
        (None, "user", str(alice.id), {"via": "cli", "reason": "fraud report"})
    ]
    response = login(client, alice.email, follow_redirects=True)
    assert "This account has been locked" in response.get_data(as_text=True)


def test_lock_ends_the_users_open_sessions(app, runner):
    alice = make_customer(app, "Alice Able", "alice@example.com")
    before = get_user(app, alice.id).session_token
    runner.invoke(args=["users", "lock", "alice@example.com", "--reason", "stolen laptop"])
    assert get_user(app, alice.id).session_token != before


def test_lock_requires_a_reason(app, runner):
    make_customer(app, "Alice Able", "alice@example.com")
    missing = runner.invoke(args=["users", "lock", "alice@example.com"])
    assert missing.exit_code != 0
    assert "--reason" in missing.output
    blank = runner.invoke(args=["users", "lock", "alice@example.com", "--reason", "  "])
    assert blank.exit_code != 0
    assert not audit_rows(app, "admin.user.lock")


def test_unlock_restores_sign_in_and_clears_lockout(app, runner):
    alice = make_customer(app, "Alice Able", "alice@example.com")
    runner.invoke(args=["users", "lock", "alice@example.com", "--reason", "check"])
    with app.app_context():
        db.session.get(User, alice.id).failed_logins = 7
        db.session.commit()
    result = runner.invoke(args=["users", "unlock", "ALICE@example.com", "--reason", "called"])
    assert result.exit_code == 0, result.output
    user = get_user(app, alice.id)
    assert not user.is_locked
    assert user.locked_reason is None
    assert user.failed_logins == 0
    assert audit_rows(app, "admin.user.unlock") == [
        (None, "user", str(alice.id), {"via": "cli", "reason": "called"})
    ]


def test_unlock_requires_a_reason_as_on_the_admin_page(app, runner):
    make_customer(app, "Alice Able", "alice@example.com")
    runner.invoke(args=["users", "lock", "alice@example.com", "--reason", "check"])
    missing = runner.invoke(args=["users", "unlock", "alice@example.com"])
    assert missing.exit_code != 0 and "--reason" in missing.output
    blank = runner.invoke(args=["users", "unlock", "alice@example.com", "--reason", " "])
    assert blank.exit_code != 0 and "Give a reason" in blank.output
    assert not audit_rows(app, "admin.user.unlock")


def test_unlock_clears_a_failed_sign_in_lockout_alone(app, runner):
    alice = make_customer(app, "Alice Able", "alice@example.com")
    with app.app_context():
        db.session.get(User, alice.id).failed_logins = 5
        db.session.commit()
    result = runner.invoke(args=["users", "unlock", "alice@example.com", "--reason", "called"])
    assert result.exit_code == 0, result.output
    assert get_user(app, alice.id).failed_logins == 0


def test_lock_of_another_admin_applies_at_once_from_the_server(app, runner):
    """Dual control answers a stolen web session; the operator's shell needs no checker."""
    make_admin(app, "Ada Admin", "ada@example.com")
    bea = make_admin(app, "Bea Admin", "bea@example.com")
    result = runner.invoke(args=["users", "lock", "bea@example.com", "--reason", "left"])
    assert result.exit_code == 0, result.output
    assert get_user(app, bea.id).is_locked
    with app.app_context():
        assert db.session.scalar(select(PendingAdminAction.id)) is None


def _close_accounts(app, user_id: int) -> None:
    with app.app_context():
        for account_id in db.session.scalars(select(Account.id).where(Account.owner_id == user_id)):
            ledger.close_account(db.session, account_id, reason="becomes staff")
        db.session.remove()


def test_promote_makes_an_admin_and_is_audited(app, runner):
    alice = make_customer(app, "Alice Able", "alice@example.com")
    _close_accounts(app, alice.id)
    result = runner.invoke(args=["users", "promote", "alice@example.com", "--reason", "hired"])
    assert result.exit_code == 0
    assert "now an admin" in result.output
    assert get_user(app, alice.id).role == "admin"
    [(actor, _, target, details)] = audit_rows(app, "admin.user.role")
    assert actor is None
    assert target == str(alice.id)
    assert details == {"via": "cli", "reason": "hired", "old": "customer", "new": "admin"}


def test_promote_refuses_a_user_with_open_accounts(app, runner):
    """An admin who owns an account could credit it and take the money (issue 12)."""
    alice = make_customer(app, "Alice Able", "alice@example.com", balance="10.00")
    result = runner.invoke(args=["users", "promote", "alice@example.com", "--reason", "hired"])
    assert result.exit_code != 0
    assert "1 open account(s)" in result.output and "must not own accounts" in result.output
    assert get_user(app, alice.id).role == "customer"
    assert not audit_rows(app, "admin.user.role")


def test_promote_an_admin_changes_nothing(app, runner):
    """Already done is refused (exit 1), like every other already-done change."""
    make_admin(app, "Ada Admin", "ada@example.com")
    result = runner.invoke(args=["users", "promote", "ada@example.com", "--reason", "x"])
    assert result.exit_code != 0
    assert "That user is already an admin." in result.output
    assert not audit_rows(app, "admin.user.role")


def test_demote_makes_a_customer_and_is_audited(app, runner):
    make_admin(app, "Ada Admin", "ada@example.com")
    bea = make_admin(app, "Bea Admin", "bea@example.com")
    result = runner.invoke(args=["users", "demote", "bea@example.com", "--reason", "left"])
    assert result.exit_code == 0, result.output
    assert get_user(app, bea.id).role == "customer"
    [(_, _, _, details)] = audit_rows(app, "admin.user.role")
    assert details == {"via": "cli", "reason": "left", "old": "admin", "new": "customer"}


def test_the_last_active_admin_cannot_be_demoted(app, runner):
    ada = make_admin(app, "Ada Admin", "ada@example.com")
    result = runner.invoke(args=["users", "demote", "ada@example.com", "--reason", "x"])
    assert result.exit_code != 0
    assert "last active admin" in result.output
    assert get_user(app, ada.id).role == "admin"


def test_unknown_email_fails_with_a_message(app, runner):
    for args in (
        ["users", "lock", "ghost@example.com", "--reason", "x"],
        ["users", "unlock", "ghost@example.com", "--reason", "x"],
        ["users", "promote", "ghost@example.com", "--reason", "x"],
        ["users", "demote", "ghost@example.com", "--reason", "x"],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code != 0, args
        assert "No user with email 'ghost@example.com'" in result.output
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.id)) is None


def test_help_explains_every_option(runner):
    result = runner.invoke(args=["users", "list", "--help"])
    assert "--role" in result.output
    assert "--search" in result.output
    assert "email or full name" in result.output
    lock_help = runner.invoke(args=["users", "lock", "--help"])
    assert "Why the user is locked" in lock_help.output
