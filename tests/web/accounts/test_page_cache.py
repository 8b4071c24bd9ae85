"""Whole pages cached per customer (banking/web/page_cache.py): the dashboard, an account's
first history page and the transfer forms come from one Redis round trip, yet are never
another customer's, never stale after a commit, and never carry a token twice — in every
state the cache can be in (in-process, Redis up, Redis down).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from banking.extensions import cache, db
from banking.services import history as history_reads
from banking.web import page_cache
from tests.support.builders import add_account, fund, login, make_customer
from tests.support.cache_states import CACHE_STATES, counted_pipelines, point_cache_at
from tests.support.page_cache import outdate_cached_pages
from tests.support.sessions import login_as
from tests.support.transfers import form_fields, pay

KEY = re.compile(r'name="idempotency_key"[^>]*value="([^"]+)"')
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture(params=CACHE_STATES)
def cache_state(request, app):
    yield from point_cache_at(request, app, "banking-page-cache-test:")


@pytest.fixture
def jane_balance() -> str:
    return "500.00"


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def cached_entries(app, user_id: int) -> list[str]:
    """The cache keys (without the app's prefix) of the user's cached pages."""
    with app.app_context():
        backend = cache.cache
        prefix = getattr(backend, "key_prefix", "") or ""
        client = getattr(backend, "_read_client", None)
        if client is not None:
            found = [k.decode() for k in client.keys(f"{prefix}user:{user_id}:pageb:*")]
        else:
            found = [k for k in backend._cache if f"user:{user_id}:pageb:" in k]
        return [k.removeprefix(prefix) for k in found]


def test_a_cached_page_is_what_is_served(app, client, jane, cache_state):
    """The second visit is the stored page (changed here behind the app's back)."""
    first = page(client, f"/accounts/{jane.account_id}/history")
    keys = cached_entries(app, jane.id) if cache_state != "redis-down" else []
    if cache_state == "redis-down":  # rendered each time, the same page (its token aside)
        again = page(client, f"/accounts/{jane.account_id}/history")
        assert CSRF.sub("", again) == CSRF.sub("", first)
        return
    assert len(keys) == 1
    with app.app_context():
        key = keys[0]
        entry = cache.get(key)
        entry["body"] = entry["body"].replace(b"</h1>", b" Served from the cache</h1>", 1)
        cache.set(key, entry)
    assert "Served from the cache" in page(client, f"/accounts/{jane.account_id}/history")


def test_an_entry_of_another_shape_is_rendered_afresh_not_a_500(app, client, jane, cache_state):
    """Entries from a server of another release (text, not bytes) are a miss."""
    if cache_state == "redis-down":
        return
    first = page(client, "/")
    with app.app_context():
        for key in cached_entries(app, jane.id):
            entry = cache.get(key)
            cache.set(key, {**entry, "body": None, "html": "Stale text-era page"})
    again = page(client, "/")
    assert "Stale text-era page" not in again
    assert CSRF.sub("", again) == CSRF.sub("", first)


def test_every_cached_transfer_form_has_a_fresh_key_and_the_sessions_token(
    app, client, jane, cache_state
):
    first = page(client, "/transfers/pay")
    second = page(client, "/transfers/pay")
    third = page(client, "/transfers/pay")

    keys = [KEY.search(html).group(1) for html in (first, second, third)]
    assert len(set(keys)) == 3
    assert "\x00" not in second and "\x00" not in third
    # Each is a signature of the session's one CSRF secret (the part before the first dot).
    secrets = {CSRF.search(html).group(1).split(".")[0] for html in (first, second, third)}
    assert len(secrets) == 1
    # A form from the cache works: it reaches the confirmation page.
    fields = form_fields(third, "/transfers/pay")
    other = make_customer(app, "Bob Payee")
    response = client.post(
        "/transfers/pay",
        data={
            **fields,
            "from_account": jane.account_id,
            "account_number": other.account_number,
            "amount": "5.00",
        },
    )
    assert response.status_code == 200
    assert "Confirm" in response.get_data(as_text=True)


def test_two_transfers_from_two_cached_forms_both_move_money(app, client, jane, cache_state):
    """A reused key would answer the second transfer as a replay of the first."""
    bob = make_customer(app, "Bob Payee")
    page(client, "/transfers/pay")  # cached from here on
    assert pay(client, jane.account_id, bob.account_number, "1.00").result.status_code == 302
    assert pay(client, jane.account_id, bob.account_number, "2.00").result.status_code == 302
    assert "$497.00" in page(client, "/")


def test_a_transfer_outdates_every_cached_page(app, client, jane, cache_state):
    bob = make_customer(app, "Bob Payee")
    history = f"/accounts/{jane.account_id}/history"
    for path in ("/", history, "/transfers/pay", "/transfers/own"):
        page(client, path)
    assert (
        pay(
            client, jane.account_id, bob.account_number, "12.34", memo="Lunch money"
        ).result.status_code
        == 302
    )

    assert "$487.66" in page(client, "/")
    assert "Lunch money" in page(client, history)
    assert "$487.66" in page(client, history)


def test_money_arriving_from_elsewhere_outdates_the_recipients_pages(
    app, client, jane, cache_state
):
    before = page(client, "/")
    assert "$500.00" in before
    fund(app, jane.account_id, "25.00")  # another session, another process's commit
    assert "$525.00" in page(client, "/")


def test_a_new_or_deleted_payee_shows_on_the_cached_form(app, client, jane, cache_state):
    bob = make_customer(app, "Bob Payee")
    assert "Landlord Bob" not in page(client, "/transfers/pay")
    fields = form_fields(page(client, "/payees"), "/payees")
    response = client.post(
        "/payees",
        data={**fields, "nickname": "Landlord Bob", "account_number": bob.account_number},
    )
    assert response.status_code == 302
    assert "Landlord Bob" in page(client, "/transfers/pay")


def test_a_page_rendered_while_a_commit_lands_is_not_kept(
    app, client, jane, cache_state, monkeypatch
):
    """The race a cache-aside page invites: read old rows, commit elsewhere, store late.

    The commit's effect on the cache (its after-commit bump of the user's data version)
    lands between the page's reads and its store: the stored page must never be served.
    """
    history = f"/accounts/{jane.account_id}/history"
    real = history_reads.history_page
    renders = []

    def read_then_someone_commits(*args, **kwargs):
        renders.append(1)
        result = real(*args, **kwargs)  # the old rows are read ...
        if len(renders) == 1:
            outdate_cached_pages(app, jane.id)  # ... then another commit outdates them
        return result

    monkeypatch.setattr(history_reads, "history_page", read_then_someone_commits)
    page(client, history)
    page(client, history)
    assert len(renders) == 2  # the page stored late was not used
    page(client, history)
    expected = 3 if cache_state == "redis-down" else 2  # and the fresh one is
    assert len(renders) == expected


def test_a_flashed_message_is_shown_once_and_never_cached(app, client, jane, cache_state):
    page(client, "/")
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "A one-time message")]
    assert "A one-time message" in page(client, "/")
    assert "A one-time message" not in page(client, "/")


def test_another_customers_cached_page_is_never_served(app, client, jane, cache_state):
    jane_history = f"/accounts/{jane.account_id}/history"
    page(client, "/")
    page(client, jane_history)
    bob = make_customer(app, "Bob Other", balance="3.21")
    other = app.test_client()
    login_as(other, app, bob.id)

    mine = page(other, "/")
    assert "Bob Other" in mine and "Jane Doe" not in mine
    assert "$3.21" in mine and "$500.00" not in mine
    assert other.get(jane_history).status_code == 404


def test_a_name_change_shows_on_the_cached_pages(app, client, jane, cache_state):
    assert "Jane Doe" in page(client, "/")
    with app.app_context():
        from banking.core.models import User

        db.session.get(User, jane.id).full_name = "Jane Renamed"
        db.session.commit()
    assert "Jane Renamed" in page(client, "/")


def test_a_signed_out_session_gets_no_cached_page(app, client, jane, cache_state):
    page(client, "/")
    other_tab = app.test_client()
    assert login(other_tab, jane.email).status_code == 302
    client.post("/auth/logout", data={"csrf_token": CSRF.search(page(client, "/")).group(1)})
    response = client.get("/")
    assert response.status_code == 302  # to the sign-in page, not the cached dashboard


def test_a_page_with_a_query_string_is_rendered_for_it(app, client, jane, cache_state):
    savings = add_account(app, jane.id, nickname="Rainy day")
    page(client, "/transfers/own")
    html = page(client, f"/transfers/own?from={savings}")
    assert re.search(rf'<option selected value="{savings}"|value="{savings}" selected', html)


def test_a_new_day_is_a_new_page(app, client, jane, cache_state, monkeypatch):
    """ "Today" and "Yesterday" are in the page: a page is cached for the day it was made."""
    page(client, "/")
    with app.test_request_context("/"):
        today = page_cache.page_key(jane.id)

    class Tomorrow(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.now(tz) + timedelta(days=1)

    monkeypatch.setattr(page_cache, "datetime", Tomorrow)
    with app.test_request_context("/"):
        assert page_cache.page_key(jane.id) != today


@pytest.fixture(params=["redis-up"])
def redis_cache(request, app):
    yield from point_cache_at(request, app, "banking-page-cache-test:")


def test_a_transfer_outdates_both_parties_and_the_recipients_badge_in_one_round_trip(
    app, client, jane, redis_cache
):
    """The commit's cache work (both customers' pages, the recipient's unread count) goes
    to Redis in one pipeline, not one per module that cares, and bumps each customer's
    data version once, though two modules outdate the payee's pages."""
    bob = make_customer(app, "Bob Payee")
    bob_client = app.test_client()
    login_as(bob_client, app, bob.id)
    assert "unread" not in page(bob_client, "/")  # his snapshot and page, now cached
    page(client, "/")
    with app.app_context():
        versions = [page_cache.data_version_key(who) for who in (jane.id, bob.id)]
        before = [cache.get(key) or 0 for key in versions]
    with counted_pipelines(app) as pipelines:
        result = pay(client, jane.account_id, bob.account_number, "12.34").result
    assert result.status_code == 302
    assert pipelines == [1]
    with app.app_context():
        assert [cache.get(key) or 0 for key in versions] == [before[0] + 1, before[1] + 1]
    assert "$487.66" in page(client, "/")
    bob_page = page(bob_client, "/")
    assert "$12.34" in bob_page  # his cached dashboard was outdated
    assert "Notifications, 1 unread" in bob_page  # and so was his unread count
