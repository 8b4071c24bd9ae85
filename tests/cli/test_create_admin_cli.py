"""`flask create-admin`: admins come only from the CLI, with a hidden or piped password."""

from __future__ import annotations

from sqlalchemy import select

from banking.core.models import Account, AuditEvent, User
from banking.extensions import db
from banking.services import auth_events as events
from tests.support.builders import login, make_customer

STRONG = "granite falcon meadow tide"


def created(app, email):
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


def test_creates_an_admin_from_stdin(app, runner):
    result = runner.invoke(
        args=[
            "create-admin",
            "--email",
            "Boss@Example.com",
            "--name",
            "The Boss",
            "--password-stdin",
        ],
        input=STRONG + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "Admin boss@example.com created." in result.output
    assert STRONG not in result.output
    user = created(app, "boss@example.com")
    assert user.role == "admin" and user.full_name == "The Boss"
    with app.app_context():
        assert db.session.scalars(select(Account).where(Account.owner_id == user.id)).all() == []
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert events.ADMIN_CREATED in actions


def test_prompts_for_the_password_twice_without_echo(app, runner):
    result = runner.invoke(
        args=["create-admin", "--email", "prompted@example.com"],
        input=f"{STRONG}\n{STRONG}\n",
    )
    assert result.exit_code == 0, result.output
    assert STRONG not in result.output
    assert created(app, "prompted@example.com").role == "admin"


def test_created_admin_can_sign_in(app, runner, client):
    runner.invoke(
        args=["create-admin", "--email", "signin@example.com", "--password-stdin"],
        input=STRONG + "\n",
    )
    response = login(client, "signin@example.com", STRONG)
    assert response.status_code == 302


def test_refuses_a_weak_password(app, runner):
    result = runner.invoke(
        args=["create-admin", "--email", "weak@example.com", "--password-stdin"],
        input="password1234\n",
    )
    assert result.exit_code != 0
    assert "too common" in result.output
    assert created(app, "weak@example.com") is None


def test_refuses_a_short_password(app, runner):
    result = runner.invoke(
        args=["create-admin", "--email", "short@example.com", "--password-stdin"],
        input="tiny\n",
    )
    assert result.exit_code != 0
    assert "at least 12" in result.output


def test_refuses_an_existing_email(app, runner):
    make_customer(app, email="exists@example.com")
    result = runner.invoke(
        args=["create-admin", "--email", "EXISTS@example.com", "--password-stdin"],
        input=STRONG + "\n",
    )
    assert result.exit_code != 0
    assert "already exists" in result.output


def test_refuses_an_invalid_email(app, runner):
    result = runner.invoke(
        args=["create-admin", "--email", "not-an-email", "--password-stdin"],
        input=STRONG + "\n",
    )
    assert result.exit_code != 0
    assert "not valid" in result.output
