"""Sign-in lockout answers the same for a real and a made-up address in every state of
the cache: in-process, Redis up, Redis down.

Unknown addresses used to count their failures in the cache; while Redis was down
nothing was counted for them, so only real addresses ever locked (an outage turned the
lockout into an oracle for which addresses have an account). Both now count in the
database, and the cache plays no part.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from banking.core.models import UnknownLoginFailure, User
from banking.core.models.base import as_utc, utcnow
from banking.extensions import db
from banking.services import lockout
from tests.support.builders import login, make_customer
from tests.support.cache_states import CACHE_STATES, point_cache_at

WRONG = "not the password at all"
GHOST = "ghost@example.com"


@pytest.fixture(params=CACHE_STATES)
def cache_state(request, app):
    """Point the app's cache at each backend in turn; the original is put back after."""
    yield from point_cache_at(request, app, "banking-lockout-test:")


def answer(response) -> str:
    text = response.get_data(as_text=True)
    if "Too many failed attempts" in text:
        return "locked"
    if "The email or password is incorrect." in text:
        return "invalid"
    return f"other {response.status_code}"


def test_a_real_and_a_made_up_address_lock_alike(app, client, cache_state):
    app.config["LOCKOUT_THRESHOLD"] = 3
    customer = make_customer(app)
    real = [answer(login(client, customer.email, WRONG)) for _ in range(5)]
    made_up = [answer(login(client, GHOST, WRONG)) for _ in range(5)]
    assert real == made_up == ["invalid", "invalid", "locked", "locked", "locked"]
    # The right password does not get through a lock either.
    assert answer(login(client, customer.email)) == "locked"


def test_after_the_window_both_count_again_from_zero(app, client, cache_state):
    app.config["LOCKOUT_THRESHOLD"] = 2
    customer = make_customer(app)
    for _ in range(2):
        login(client, customer.email, WRONG)
        login(client, GHOST, WRONG)
    past = utcnow() - timedelta(seconds=1)
    with app.app_context():
        db.session.execute(update(User).values(lockout_until=past))
        db.session.execute(update(UnknownLoginFailure).values(lockout_until=past))
        db.session.commit()
    real = [answer(login(client, customer.email, WRONG)) for _ in range(2)]
    made_up = [answer(login(client, GHOST, WRONG)) for _ in range(2)]
    assert real == made_up == ["invalid", "locked"]


def test_the_lock_end_is_fixed_once_for_a_made_up_address(app):
    app.config["LOCKOUT_THRESHOLD"] = 3
    start = utcnow()
    with app.app_context():
        answers = [lockout.register_unknown_failure(GHOST, start) for _ in range(3)]
        assert answers == [False, False, True]
        assert lockout.register_unknown_failure(GHOST, start + timedelta(minutes=10)) is True
        row = db.session.scalar(select(UnknownLoginFailure))
        assert row.failed_logins == 3  # failures while locked are not counted
        assert as_utc(row.lockout_until) == start + timedelta(minutes=15)
        assert GHOST not in row.key  # a keyed hash, not the address
        after = start + timedelta(minutes=16)
        answers = [lockout.register_unknown_failure(GHOST, after) for _ in range(3)]
        assert answers == [False, False, True]
        db.session.commit()


def test_parallel_probes_of_a_made_up_address_all_count(app, requires_postgres):
    """Below the threshold (once locked, probes stop counting, as for a real account)."""
    app.config["LOCKOUT_THRESHOLD"] = 100
    now = utcnow()
    start = threading.Barrier(8)

    def probe() -> None:
        with app.app_context():
            start.wait()
            lockout.register_unknown_failure(GHOST, now)
            db.session.commit()

    threads = [threading.Thread(target=probe) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    with app.app_context():
        assert db.session.scalar(select(func.sum(UnknownLoginFailure.failed_logins))) == 8
        assert db.session.scalar(select(UnknownLoginFailure.lockout_until)) is None


def test_addresses_nobody_tried_for_a_month_are_forgotten(app, monkeypatch):
    monkeypatch.setattr(lockout, "_last_purge", None)
    old = utcnow() - lockout.UNKNOWN_RETENTION - timedelta(days=1)
    with app.app_context():
        lockout.register_unknown_failure("old@example.com", old)
        db.session.commit()
        monkeypatch.setattr(lockout, "_last_purge", None)
        lockout.register_unknown_failure(GHOST, utcnow())
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(UnknownLoginFailure)) == 1
