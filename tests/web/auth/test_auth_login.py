"""Sign-in and sign-out: enumeration resistance, lockout, throttling, sessions, redirects."""

from __future__ import annotations

import time
from datetime import timedelta

from argon2 import PasswordHasher
from sqlalchemy import select

from banking.core.models import AuditEvent, User
from banking.core.models.base import utcnow
from banking.extensions import db
from banking.services import auth_events as events
from tests.support.audit import audit_actions
from tests.support.builders import PASSWORD, login, make_customer
from tests.support.forms import submit

WRONG = "definitely not the password"


def test_sign_in_redirects_to_the_dashboard(app, client):
    customer = make_customer(app)
    response = login(client, customer.email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/auth/profile").status_code == 200
    assert events.LOGIN in audit_actions(app)


def test_sign_in_accepts_the_email_in_any_case(app, client):
    customer = make_customer(app)
    response = login(client, customer.email.upper())
    assert response.status_code == 302


def test_unknown_email_and_wrong_password_look_the_same(app, client):
    customer = make_customer(app)
    wrong_password = login(client, customer.email, WRONG)
    unknown_email = login(client, "nobody@example.com", WRONG)
    assert wrong_password.status_code == unknown_email.status_code == 200
    assert "The email or password is incorrect." in wrong_password.get_data(as_text=True)
    assert "The email or password is incorrect." in unknown_email.get_data(as_text=True)


def test_unknown_email_costs_a_password_hash_like_a_wrong_password(app, client, monkeypatch):
    from banking.services import auth as services

    calls = []
    original = services.verify_password

    def spy(password_hash, password):
        calls.append(password_hash)
        return original(password_hash, password)

    monkeypatch.setattr(services, "verify_password", spy)
    login(client, "nobody@example.com", WRONG)
    assert calls == [None], "an unknown email must still run a (dummy) hash verification"


def test_unknown_email_and_wrong_password_do_the_same_hashing_work(app, client, monkeypatch):
    """Response time must not reveal whether an email exists: both paths run exactly one
    argon2 verification (counted, not timed, so the test can't flake on a busy machine)."""
    customer = make_customer(app)
    calls: list[str] = []
    original = PasswordHasher.verify

    def counting_verify(self, hash, password):
        calls.append(hash)
        return original(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)

    login(client, customer.email, WRONG)
    known = len(calls)
    calls.clear()
    login(client, "nobody@example.com", WRONG)
    unknown = len(calls)

    assert known == unknown == 1


def test_failed_sign_in_is_audited_without_the_password(app, client):
    customer = make_customer(app)
    login(client, customer.email, WRONG)
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == events.LOGIN_FAILED)
        )
        assert event.actor_id == customer.id
        assert event.success is False
        assert event.ip == "127.0.0.1"
        assert WRONG not in str(event.details)


def test_ten_failures_lock_the_account_even_for_the_right_password(app, client):
    customer = make_customer(app)
    for _ in range(9):
        assert "incorrect" in login(client, customer.email, WRONG).get_data(as_text=True)
    tenth = login(client, customer.email, WRONG).get_data(as_text=True)
    assert "Too many failed attempts" in tenth
    response = login(client, customer.email, PASSWORD)
    assert response.status_code == 200
    assert "Too many failed attempts" in response.get_data(as_text=True)
    assert events.LOCKOUT in audit_actions(app)


def test_lockout_says_how_long_it_lasts(app, client):
    app.config["LOCKOUT_MINUTES"] = 15
    customer = make_customer(app)
    for _ in range(10):
        page = login(client, customer.email, WRONG).get_data(as_text=True)
    assert "locked for 15 minutes" in page


def test_lockout_message_does_not_reveal_whether_the_email_exists(app, client):
    customer = make_customer(app)
    for _ in range(10):
        known = login(client, customer.email, WRONG)
        unknown = login(client, "ghost@example.com", WRONG)
    assert "Too many failed attempts" in known.get_data(as_text=True)
    assert "Too many failed attempts" in unknown.get_data(as_text=True)
    assert known.status_code == unknown.status_code


def test_account_unlocks_after_the_lockout_window(app, client):
    customer = make_customer(app)
    for _ in range(10):
        login(client, customer.email, WRONG)
    with app.app_context():
        user = db.session.get(User, customer.id)
        assert user.lockout_until is not None
        user.lockout_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = login(client, customer.email, PASSWORD)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, customer.id).failed_logins == 0


def test_lockout_threshold_is_configurable(app, client):
    app.config["LOCKOUT_THRESHOLD"] = 2
    customer = make_customer(app)
    login(client, customer.email, WRONG)
    response = login(client, customer.email, WRONG)
    assert "Too many failed attempts" in response.get_data(as_text=True)


def test_successful_sign_in_resets_the_failure_count(app, client):
    customer = make_customer(app)
    for _ in range(5):
        login(client, customer.email, WRONG)
    login(client, customer.email, PASSWORD)
    with app.app_context():
        assert db.session.get(User, customer.id).failed_logins == 0


def test_user_locked_by_an_admin_cannot_sign_in(app, client):
    customer = make_customer(app)
    with app.app_context():
        db.session.get(User, customer.id).is_locked = True
        db.session.commit()
    response = login(client, customer.email, PASSWORD)
    assert response.status_code == 200
    assert "has been locked" in response.get_data(as_text=True)
    assert client.get("/auth/profile").status_code == 302


def test_locking_a_signed_in_user_ends_their_session(app, client):
    customer = make_customer(app)
    login(client, customer.email)
    with app.app_context():
        db.session.get(User, customer.id).is_locked = True
        db.session.commit()
    assert client.get("/auth/profile").status_code == 302


def test_sign_in_is_rate_limited_per_ip_with_a_friendly_page(app, client):
    app.config["LOGIN_RATE_LIMIT"] = "3/minute"
    for n in range(3):
        login(client, f"person{n}@example.com", WRONG)
    response = login(client, "another@example.com", WRONG)
    assert response.status_code == 429
    assert "Too many requests" in response.get_data(as_text=True)


def test_sign_in_is_rate_limited_per_account_across_ips(app):
    app.config["LOGIN_RATE_LIMIT"] = "3/minute"
    customer = make_customer(app)
    statuses = []
    for n in range(4):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{n + 1}"
        statuses.append(login(client, customer.email, WRONG).status_code)
    assert statuses == [200, 200, 200, 429]


def test_next_redirect_accepts_a_local_path(app, client):
    customer = make_customer(app)
    response = submit(
        client,
        "/auth/login",
        {"email": customer.email, "password": PASSWORD, "next": "/auth/profile"},
        form_url="/auth/login?next=/auth/profile",
    )
    assert response.headers["Location"] == "/auth/profile"


def test_protected_page_sends_anonymous_users_to_sign_in_with_next(app, client):
    response = client.get("/auth/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


def test_open_redirects_are_refused(app, client):
    customer = make_customer(app)
    for target in (
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
    ):
        client = app.test_client()
        response = submit(
            client,
            "/auth/login",
            {"email": customer.email, "password": PASSWORD, "next": target},
        )
        assert response.headers["Location"] == "/", target


def test_sign_out_is_a_post(app, client):
    customer = make_customer(app)
    login(client, customer.email)
    assert client.get("/auth/logout").status_code == 405
    assert client.get("/auth/profile").status_code == 200


def test_sign_out_ends_the_session_and_is_audited(app, client):
    customer = make_customer(app)
    login(client, customer.email)
    response = submit(client, "/auth/logout", form_url="/auth/profile")
    assert response.status_code == 302
    assert client.get("/auth/profile").status_code == 302
    assert events.LOGOUT in audit_actions(app)


def test_sign_out_without_csrf_is_refused(app, client):
    customer = make_customer(app)
    login(client, customer.email)
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/auth/profile").status_code == 200


def test_session_is_cleared_before_sign_in(app, client):
    customer = make_customer(app)
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    login(client, customer.email)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_remember_me_is_off_unless_asked_for(app, client):
    customer = make_customer(app)
    login(client, customer.email)
    assert client.get_cookie("remember_token") is None
    other = app.test_client()
    submit(other, "/auth/login", {"email": customer.email, "password": PASSWORD, "remember": "y"})
    assert other.get_cookie("remember_token") is not None


def test_idle_session_expires(app, client):
    customer = make_customer(app)
    login(client, customer.email)
    with client.session_transaction() as session:
        session["last_seen"] = int(time.time()) - 16 * 60
    response = client.get("/auth/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")


def test_active_session_stays_signed_in(app, client):
    customer = make_customer(app)
    login(client, customer.email)
    with client.session_transaction() as session:
        session["last_seen"] = int(time.time()) - 14 * 60
    assert client.get("/auth/profile").status_code == 200


def test_session_has_an_absolute_limit(app, client):
    customer = make_customer(app)
    login(client, customer.email)
    with client.session_transaction() as session:
        session["login_at"] = int(time.time()) - 13 * 3600
    assert client.get("/auth/profile").status_code == 302


def test_rehashes_the_password_at_sign_in_when_parameters_change(app, client):
    from argon2 import PasswordHasher

    customer = make_customer(app)
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with app.app_context():
        db.session.get(User, customer.id).password_hash = weak
        db.session.commit()
    assert login(client, customer.email).status_code == 302
    with app.app_context():
        stored = db.session.get(User, customer.id).password_hash
    assert stored != weak
    assert stored.startswith("$argon2id$")


def travel(monkeypatch, minutes: int) -> None:
    """Move the sign-in clock `minutes` ahead of the real one (lockout reads it from there)."""
    from banking.services import auth as services

    when = utcnow() + timedelta(minutes=minutes)
    monkeypatch.setattr(services, "utcnow", lambda: when)


def test_after_the_lockout_window_a_real_and_an_unknown_email_answer_alike(
    app, client, monkeypatch
):
    """The lock end is fixed by the threshold-th failure for both, and probing during the
    window does not push it back: after it, both answer "incorrect" again."""
    app.config["LOGIN_RATE_LIMIT"] = "1000/minute"
    customer = make_customer(app)
    for _ in range(10):
        login(client, customer.email, WRONG)
        login(client, "ghost@example.com", WRONG)
    travel(monkeypatch, minutes=10)  # still locked; these probes must not extend anything
    for email in (customer.email, "ghost@example.com"):
        assert "Too many failed attempts" in login(client, email, WRONG).get_data(as_text=True)
    travel(monkeypatch, minutes=16)
    known = login(client, customer.email, WRONG)
    unknown = login(client, "ghost@example.com", WRONG)
    assert known.status_code == unknown.status_code == 200
    assert "The email or password is incorrect." in known.get_data(as_text=True)
    assert "The email or password is incorrect." in unknown.get_data(as_text=True)


def test_an_unknown_email_locks_again_only_after_a_fresh_run_of_failures(app, client, monkeypatch):
    """After the window, counting restarts from zero for an unknown email as for a real one."""
    app.config["LOGIN_RATE_LIMIT"] = "1000/minute"
    app.config["LOCKOUT_THRESHOLD"] = 3
    customer = make_customer(app)
    for _ in range(3):
        login(client, customer.email, WRONG)
        login(client, "ghost@example.com", WRONG)
    travel(monkeypatch, minutes=16)
    answers = {
        email: ["Too many" in login(client, email, WRONG).get_data(as_text=True) for _ in range(3)]
        for email in (customer.email, "ghost@example.com")
    }
    assert answers[customer.email] == answers["ghost@example.com"] == [False, False, True]
