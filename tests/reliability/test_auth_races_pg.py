"""Sign-in secrets spent exactly once under real concurrency on PostgreSQL.

Two clients that both passed the password step send the same second factor at the same
moment. To make the race certain rather than lucky, the step after the code check
(`complete_sign_in`, or the audit write after a failed password) waits on a barrier
until the other request has got there too, or briefly times out: with a
read-compare-write both requests reach it and both sign in; with a conditional UPDATE
the second one waits on the first one's row lock and then finds the code spent.
"""

from __future__ import annotations

import threading

import pyotp
from sqlalchemy import func, select

from banking.core.models import AuditEvent, User
from banking.extensions import db
from banking.services import auth as services
from banking.services import auth_events as events
from tests.support.builders import login, make_customer
from tests.support.forms import csrf_from
from tests.support.two_factor import enroll

BARRIER_SECONDS = 2.0
WRONG = "definitely not the password"


def hold_until_both_arrive(monkeypatch, name: str) -> None:
    """Make `services.<name>` wait (at most BARRIER_SECONDS) for the other request."""
    barrier = threading.Barrier(2)
    original = getattr(services, name)

    def waiting(*args, **kwargs):
        try:
            barrier.wait(timeout=BARRIER_SECONDS)
        except threading.BrokenBarrierError:
            pass  # the other request is blocked on our row lock, as it should be
        return original(*args, **kwargs)

    monkeypatch.setattr(services, name, waiting)


def race(posts: list) -> list:
    """Run each zero-argument callable in its own thread, all released at once."""
    start = threading.Barrier(len(posts))
    results: list = [None] * len(posts)

    def run(index: int, post) -> None:
        start.wait()
        results[index] = post()

    threads = [threading.Thread(target=run, args=(i, post)) for i, post in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def enrolled_customer(app, client) -> tuple:
    """A customer with two-factor on; returns (customer, secret, recovery codes)."""
    customer = make_customer(app)
    login(client, customer.email)
    secret, codes = enroll(client, customer.password)
    with app.app_context():
        db.session.get(User, customer.id).totp_last_counter = None  # a fresh step
        db.session.commit()
        db.session.remove()
    return customer, secret, codes


def at_the_code_step(app, customer) -> tuple:
    """A new client past the password step; returns it and its code form's CSRF token."""
    client = app.test_client()
    assert login(client, customer.email).headers["Location"] == "/auth/two-factor"
    token = csrf_from(client.get("/auth/two-factor").get_data(as_text=True))
    return client, token


def signed_in(response) -> bool:
    return response.status_code == 302 and response.headers["Location"] == "/"


def race_code(app, customer, code: str) -> list:
    clients = [at_the_code_step(app, customer) for _ in range(2)]
    return race(
        [
            lambda c=c, t=t: c.post("/auth/two-factor", data={"csrf_token": t, "code": code})
            for c, t in clients
        ]
    )


def test_two_factor_code_cannot_be_used_twice_concurrently(
    app, client, requires_postgres, monkeypatch
):
    customer, secret, _codes = enrolled_customer(app, client)
    hold_until_both_arrive(monkeypatch, "complete_sign_in")
    responses = race_code(app, customer, pyotp.TOTP(secret).now())
    assert sum(signed_in(r) for r in responses) == 1, [r.status_code for r in responses]


def test_recovery_code_cannot_be_used_twice_concurrently(
    app, client, requires_postgres, monkeypatch
):
    customer, _secret, codes = enrolled_customer(app, client)
    hold_until_both_arrive(monkeypatch, "complete_sign_in")
    responses = race_code(app, customer, codes[0])
    assert sum(signed_in(r) for r in responses) == 1, [r.status_code for r in responses]


def test_concurrent_wrong_passwords_each_count_toward_the_lockout(
    app, requires_postgres, monkeypatch
):
    customer = make_customer(app)
    hold_until_both_arrive(monkeypatch, "_login_failed")
    clients = [app.test_client() for _ in range(2)]
    tokens = [csrf_from(c.get("/auth/login").get_data(as_text=True)) for c in clients]
    responses = race(
        [
            lambda c=c, t=t: c.post(
                "/auth/login", data={"csrf_token": t, "email": customer.email, "password": WRONG}
            )
            for c, t in zip(clients, tokens, strict=True)
        ]
    )
    assert [r.status_code for r in responses] == [200, 200]
    with app.app_context():
        assert db.session.get(User, customer.id).failed_logins == 2
        db.session.remove()


def test_a_burst_of_parallel_wrong_passwords_locks_the_account_once(app, requires_postgres):
    """No barrier here: eight real parallel guesses against a threshold of three."""
    threshold = 3
    app.config["LOCKOUT_THRESHOLD"] = threshold
    app.config["LOGIN_RATE_LIMIT"] = "1000/minute"
    customer = make_customer(app)
    clients = [app.test_client() for _ in range(8)]
    tokens = [csrf_from(c.get("/auth/login").get_data(as_text=True)) for c in clients]
    race(
        [
            lambda c=c, t=t: c.post(
                "/auth/login", data={"csrf_token": t, "email": customer.email, "password": WRONG}
            )
            for c, t in zip(clients, tokens, strict=True)
        ]
    )
    with app.app_context():
        user = db.session.get(User, customer.id)
        assert user.lockout_until is not None
        assert threshold <= user.failed_logins <= 8
        lockouts = db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == events.LOCKOUT)
        )
        db.session.remove()
    assert lockouts == 1
