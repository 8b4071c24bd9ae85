"""The signed-in user comes from the cache (banking/user_cache.py), and never outlives a
change to their row: locked, signed out elsewhere, renamed or demoted users are seen as
they are now on the very next request, whatever state the cache is in (in-process,
Redis up, Redis down).
"""

from __future__ import annotations

import pytest
from sqlalchemy import update

from banking import user_cache
from banking.core.models import User
from banking.extensions import cache, db
from tests.support.builders import login, make_customer
from tests.support.cache_states import CACHE_STATES, counted_pipelines, point_cache_at
from tests.support.sessions import login_as
from tests.support.statements import counting_queries
from tests.support.transfers import confirm, pay, start_transfer


@pytest.fixture(params=CACHE_STATES)
def cache_state(request, app):
    """Point the app's cache at each backend in turn; the original is put back after."""
    yield from point_cache_at(request, app, "banking-user-cache-test:")


def user_selects(app):
    """Collects the statements that read the users table."""
    return counting_queries(app, "FROM users")


def signed_in(app, client, name: str = "Cache Person"):
    customer = make_customer(app, name)
    assert login(client, customer.email).status_code == 302
    assert client.get("/").status_code == 200  # the session's first page fills the cache
    return customer


def change_user(app, user_id: int, **values) -> None:
    with app.app_context():
        user = db.session.get(User, user_id)
        for name, value in values.items():
            setattr(user, name, value)
        db.session.commit()


def test_pages_after_the_first_do_not_read_the_user_row(app, client, cache_state):
    signed_in(app, client)
    with user_selects(app) as seen:
        assert client.get("/").status_code == 200
        assert client.get("/transfers/pay").status_code == 200
    expected = 2 if cache_state == "redis-down" else 0  # no cache: read as before
    assert len(seen) == expected


def test_a_locked_user_is_out_on_the_next_request(app, client, cache_state):
    customer = signed_in(app, client)
    change_user(app, customer.id, is_locked=True, locked_reason="test")
    response = client.get("/")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_a_core_update_of_the_row_drops_the_cached_user(app, client, cache_state):
    customer = signed_in(app, client)
    with app.app_context():
        db.session.execute(update(User).where(User.id == customer.id).values(is_locked=True))
        db.session.commit()
    response = client.get("/")
    assert response.status_code == 302


def test_a_rotated_token_kills_every_old_cookie(app, client, cache_state):
    customer = signed_in(app, client)
    with app.app_context():
        user = db.session.get(User, customer.id)
        user.rotate_session_token()  # what signing out elsewhere does
        db.session.commit()
    assert client.get("/").status_code == 302


def test_name_and_role_changes_show_on_the_next_page(app, client, cache_state):
    customer = signed_in(app, client, "Old Name")
    change_user(app, customer.id, full_name="New Name")
    page = client.get("/").get_data(as_text=True)
    assert "New Name" in page and "Old Name" not in page
    change_user(app, customer.id, role="admin")
    # An admin on the customer home page is sent to the admin pages: the role was re-read.
    assert "/admin" in client.get("/").headers["Location"]


def test_a_snapshot_read_before_a_change_cannot_be_stored_over_it(app, cache_state):
    """The race: a request reads the row, the row changes and commits, then the request
    stores what it read. The version it read first is outdated by the change."""
    customer = make_customer(app, "Racer")
    with app.test_request_context():
        user = db.session.get(User, customer.id)
        token = user.session_token
        _, version, _ = user_cache.get(customer.id, token)
        stale = user_cache.snapshot_of(user)  # read before the lock below
        db.session.remove()
    change_user(app, customer.id, is_locked=True)
    with app.test_request_context():
        if version is not None:
            user_cache.put(stale, version)
        cached, _, _ = user_cache.get(customer.id, token)
    assert cached is None


def test_the_cached_value_is_plain_data_under_a_key_without_the_token(app, client, cache_state):
    if cache_state == "redis-down":
        pytest.skip("nothing is cached while Redis is down")
    customer = signed_in(app, client)
    with app.test_request_context():
        token = db.session.get(User, customer.id).session_token
        db.session.remove()
        cached, _, _ = user_cache.get(customer.id, token)
        assert cached is not None
        assert all(isinstance(v, str | int | bool) for v in cached.values())
        assert token not in repr(cached)  # only its hash
        if cache_state == "redis-up":
            client_ = cache.cache._write_client
            keys = [key.decode() for key in client_.keys("banking-user-cache-test:*")]
            assert keys and not any(token in key for key in keys)


def test_invalidating_users_outdates_each_one_in_one_round_trip(app, client, cache_state):
    """After a commit that changed users (a transfer notifies its recipient), every
    snapshot of theirs is outdated; on Redis in one pipeline, not a call per user."""
    first, second = signed_in(app, client, "First Person"), make_customer(app, "Second Person")
    users = (first, second)
    with app.app_context():
        if cache_state == "redis-down":
            user_cache.invalidate([first.id, second.id])  # logged, never raised
            return

        def versions():
            keys = [user_cache.user_key(user_cache.VERSION_NAMESPACE, u.id) for u in users]
            return [cache.get(key) or 0 for key in keys]

        before = versions()
        with counted_pipelines(app) as pipelines:
            user_cache.invalidate([first.id, second.id, None])
        assert versions() == [before[0] + 1, before[1] + 1]
        assert cache.get(user_cache.user_key(user_cache.NAMESPACE, first.id)) is None
        assert pipelines == ([1] if cache_state == "redis-up" else [])


def test_being_paid_keeps_the_recipients_cached_user_and_only_recounts_the_badge(
    app, client, cache_state
):
    """Money arriving writes the recipient a notification. That outdates their unread
    count and their cached pages, not who they are: their next request loads no users row,
    a transfer POST (answered by a redirect) counts no notifications, and the next page
    that shows the badge counts them once, shows the new number and caches it again."""
    bob = make_customer(app, "Bob Paid", balance="20.00")
    assert login(client, bob.email).status_code == 302
    alice = make_customer(app, "Alice Payer", balance="50.00")
    bob_step = start_transfer(
        client,
        "pay",
        {"from_account": bob.account_id, "account_number": alice.account_number, "amount": "1"},
    )
    alice_client = app.test_client()
    login_as(alice_client, app, alice.id)
    assert pay(alice_client, alice.account_id, bob.account_number, "5.00").result.status_code == 302
    cached = cache_state != "redis-down"
    with (
        counting_queries(app, "WHERE users.session_token") as user_loads,
        counting_queries(app, "count(") as counts,
    ):
        assert confirm(client, bob_step).result.status_code == 302
        assert (len(user_loads), len(counts)) == ((0, 0) if cached else (1, 1))
        page = client.get("/notifications").get_data(as_text=True)
        assert "Notifications, 1 unread" in page
        assert (len(user_loads), len(counts)) == ((0, 1) if cached else (2, 2))
        assert "Notifications, 1 unread" in client.get("/transfers/pay").get_data(as_text=True)
        assert (len(user_loads), len(counts)) == ((0, 1) if cached else (3, 3))


def test_an_unread_count_made_before_a_notification_cannot_be_stored_over_it(app, cache_state):
    """The race: a request reads the counter, counts, a notification commits, then the
    request stores its count. The counter it read first is outdated by the notification."""
    bob = make_customer(app, "Counted")
    alice = make_customer(app, "Sender", balance="50.00")
    with app.test_request_context():
        token = db.session.get(User, bob.id).session_token
        _, version, values = user_cache.get(bob.id, token, user_cache.unread_keys(bob.id))
        _, unread_version = user_cache.unread_from(*values)
        db.session.remove()
    alice_client = app.test_client()
    login_as(alice_client, app, alice.id)
    assert pay(alice_client, alice.account_id, bob.account_number, "1.00").result.status_code == 302
    with app.test_request_context():
        if version is not None:
            user_cache.put_unread(bob.id, 0, unread_version)  # the count it made: 0
        _, version, values = user_cache.get(bob.id, token, user_cache.unread_keys(bob.id))
        count, _ = user_cache.unread_from(*values)
    assert count is None


def test_a_badge_that_cannot_be_counted_never_fails_the_page(app, client, cache_state, monkeypatch):
    """An error page is rendered because something went wrong, perhaps the database: the
    header's count, made only when its cached entry is outdated, must not take the page
    down with it (it was a bare 500 under a PostgreSQL outage). It shows no count then."""
    from sqlalchemy.exc import OperationalError

    from banking.services import notifications

    bob = make_customer(app, "Bob Badge", balance="20.00")
    assert login(client, bob.email).status_code == 302
    assert client.get("/").status_code == 200  # his user is cached now
    alice = make_customer(app, "Alice Badge", balance="50.00")
    alice_client = app.test_client()
    login_as(alice_client, app, alice.id)
    assert pay(alice_client, alice.account_id, bob.account_number, "5.00").result.status_code == 302

    def down(_user_id):
        raise OperationalError("SELECT count(*)", {}, ConnectionError("server closed"))

    monkeypatch.setattr(notifications, "unread_count_of", down)
    response = client.get("/notifications")
    assert response.status_code == 200
    if cache_state != "redis-down":  # with no cache the count comes with the user's row
        assert "unread" not in response.get_data(as_text=True).split("</header>")[0]
