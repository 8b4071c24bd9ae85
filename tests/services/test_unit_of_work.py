"""Customer and identity services own their transaction: a use case commits its change
with its audit row, or rolls back and raises, so the views that call them never commit.

Each check reads back in a fresh session (`db.session.remove()` first): what a service
left uncommitted would be gone there.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from banking.core.models import AuditEvent, Payee, User
from banking.extensions import db
from banking.services import accounts, auth, profile
from banking.services import auth_events as events
from banking.services.reauth import ReauthFailed
from tests.support.builders import make_customer

NEW_PASSWORD = "a brand new passphrase 42"


def _fresh_user(user_id: int) -> User:
    db.session.remove()
    return db.session.get(User, user_id)


def _audited(action: str, user_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == action, AuditEvent.target_id == str(user_id))
    )


def test_a_refused_payee_leaves_nothing_pending(app):
    jane = make_customer(app)
    with app.app_context():
        with pytest.raises(accounts.AccountActionRefused):
            accounts.add_payee(jane.id, nickname="Me", account_number=jane.account_number)
        assert not db.session.new and not db.session.dirty
        db.session.remove()
        assert db.session.scalar(select(func.count()).select_from(Payee)) == 0


def test_a_saved_payee_is_committed_with_its_audit_row(app):
    jane, john = make_customer(app), make_customer(app, "John Roe")
    with app.app_context():
        payee = accounts.add_payee(jane.id, nickname="John", account_number=john.account_number)
        payee_id = payee.id
        db.session.remove()
        assert db.session.get(Payee, payee_id).nickname == "John"
        assert db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "payee.added", AuditEvent.target_id == str(payee_id))
        )


def test_sign_up_commits_the_new_user_and_its_audit_row(app):
    with app.app_context():
        signup = auth.register_customer(
            full_name="New Person", email="new.person@example.com", password=NEW_PASSWORD
        )
        user = _fresh_user(signup.user.id)
        assert user.email == "new.person@example.com" and user.email_verified_at is None
        assert _audited(events.SIGNUP, user.id) == 1


def test_a_rejected_sign_up_password_leaves_nothing(app):
    with app.app_context():
        with pytest.raises(auth.PasswordRejected):
            auth.register_customer(full_name="X", email="x.person@example.com", password="short")
        db.session.remove()
        assert auth.find_user_by_email(db.session, "x.person@example.com") is None


def test_a_wrong_current_password_is_committed_as_a_failure(app):
    jane = make_customer(app)
    with app.app_context():
        with pytest.raises(ReauthFailed) as refused:
            profile.change_password(db.session.get(User, jane.id), "not it at all", NEW_PASSWORD)
        assert not refused.value.signed_out
        user = _fresh_user(jane.id)
        assert user.failed_logins == 1
        assert _audited(events.REAUTH_FAILED, jane.id) == 1


def test_a_rejected_new_password_rolls_back_the_cleared_failure_count_too(app):
    """The right current password clears the count only together with the change it
    protects: a refused new password keeps both as they were."""
    jane = make_customer(app)
    with app.app_context():
        db.session.get(User, jane.id).failed_logins = 2
        db.session.commit()
        with pytest.raises(auth.PasswordRejected):
            profile.change_password(db.session.get(User, jane.id), jane.password, "short")
        user = _fresh_user(jane.id)
        assert user.failed_logins == 2
        assert _audited(events.PASSWORD_CHANGE, jane.id) == 0


def test_a_password_change_is_committed_with_a_new_session_token(app):
    jane = make_customer(app)
    with app.app_context():
        before = db.session.get(User, jane.id).session_token
        profile.change_password(db.session.get(User, jane.id), jane.password, NEW_PASSWORD)
        user = _fresh_user(jane.id)
        assert user.session_token != before
        assert _audited(events.PASSWORD_CHANGE, jane.id) == 1


def test_sign_out_is_committed_and_ends_every_copy_of_the_session(app):
    jane = make_customer(app)
    with app.app_context():
        before = db.session.get(User, jane.id).session_token
        auth.sign_out(db.session.get(User, jane.id))
        assert _fresh_user(jane.id).session_token != before
        assert _audited(events.LOGOUT, jane.id) == 1
