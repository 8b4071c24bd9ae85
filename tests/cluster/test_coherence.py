"""The web tier is stateless: whatever one app host knows, every other knows at once.

Each test talks to the app hosts directly (as the balancer would, from a made-up client
address), so which host answers is chosen, not left to the balancer's rotation.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from deploy.cluster.driver import wait_until
from tests.cluster.helpers import amounts, at, client_address, moved_to, prove_books
from tests.reliability.support import PASSWORD, sign_in
from tests.support.transfers import form_fields

LOCKED = "Too many failed attempts"


def _signed_in(browser) -> bool:
    status, headers, _ = browser.get("/")
    return status == 200 and "/auth/login" not in headers.get("Location", "")


def test_a_session_made_on_one_host_works_on_every_other(cluster):
    (customer,) = cluster.customers.take(1)
    on_app1 = at(cluster, "app1")
    sign_in(on_app1, customer["email"])
    for host in ("app2", "app3"):
        elsewhere = moved_to(on_app1, cluster.host(host).ip)
        status, _, html = elsewhere.get("/")
        assert status == 200 and customer["number"][-4:] in html, (host, status)
    # Signing out on app3 ends the session on app1 too (the token lives in the database).
    on_app3 = moved_to(on_app1, cluster.host("app3").ip)
    token = on_app3.csrf("/")
    status, _, _ = on_app3.post("/auth/logout", {"csrf_token": token})
    assert status == 302
    stale = at(cluster, "app1")
    stale.cookies = dict(on_app1.cookies)  # the cookie as it was before signing out
    status, headers, _ = stale.get("/")
    assert status == 302 and "/auth/login" in headers["Location"]


def _try_sign_in(browser, email: str, password: str) -> tuple[int, str]:
    token = browser.csrf("/auth/login")
    status, _, html = browser.post(
        "/auth/login", {"csrf_token": token, "email": email, "password": password}
    )
    return status, html


def test_sign_in_throttling_counts_across_hosts(cluster):
    """40 attempts a minute from one address: the 41st is refused, though no host saw more
    than 14 of them (a per-host counter would never have tripped). Each attempt names
    another address, so only the per-client count (not the per-account one) is at work."""
    address = client_address()
    hosts = ["app1", "app2", "app3"]
    browsers = {h: at(cluster, h, address) for h in hosts}
    statuses = []
    for attempt in range(41):
        email = f"nobody-{attempt}-{uuid.uuid4().hex[:8]}@example.com"
        statuses.append(_try_sign_in(browsers[hosts[attempt % 3]], email, "wrong password")[0])
    assert 429 not in statuses[:40], statuses
    assert statuses[40] == 429, statuses[-5:]
    # Another address is not throttled: the count is per client, shared by every host.
    assert _try_sign_in(at(cluster, "app2"), "someone@example.com", "wrong password")[0] == 200


def test_the_lockout_counts_failures_made_on_any_host(cluster):
    (customer,) = cluster.customers.take(1)
    hosts = ["app1", "app2", "app3"]
    for attempt in range(9):  # one short of LOCKOUT_THRESHOLD (10)
        status, html = _try_sign_in(at(cluster, hosts[attempt % 3]), customer["email"], "nope")
        assert status == 200 and LOCKED not in html
    status, html = _try_sign_in(at(cluster, "app1"), customer["email"], "nope")
    assert LOCKED in html  # the 10th failure, counted with the 9 made on the other hosts
    # The right password, on another host: refused, the account is locked.
    browser = at(cluster, "app2")
    status, html = _try_sign_in(browser, customer["email"], PASSWORD)
    assert status == 200 and LOCKED in html
    assert not _signed_in(browser)


def _transfer(browser, source: dict, target: dict, amount: str) -> int:
    status, _, html = browser.get("/transfers/pay")
    assert status == 200
    entry = form_fields(html, "/transfers/pay")
    entry.update(
        from_account=str(source["account_id"]), payee="",
        account_number=target["number"], amount=amount, memo="cluster coherence",
    )
    status, _, html = browser.post("/transfers/pay", entry)
    assert status == 200, html[:500]
    status, headers, _ = browser.post("/transfers/confirm", form_fields(html, "/transfers/confirm"))
    assert status == 302 and "/transfers/" in headers["Location"], status
    return int(headers["Location"].rsplit("/", 1)[1])


def test_a_transfer_on_one_host_is_on_every_dashboard_at_once(cluster):
    sender, recipient = cluster.customers.take(2)
    sender_on_1 = at(cluster, "app1")
    sign_in(sender_on_1, sender["email"])
    sender_on_2 = moved_to(sender_on_1, cluster.host("app2").ip)
    recipient_on_3 = at(cluster, "app3")
    sign_in(recipient_on_3, recipient["email"])
    # Both dashboards are read (and cached in Redis) before the transfer.
    assert "$487.66" not in amounts(sender_on_2.get("/")[2])
    assert "$512.34" not in amounts(recipient_on_3.get("/")[2])

    _transfer(sender_on_1, sender, recipient, "12.34")

    # At once, on the other hosts: no wait for a cache to expire.
    assert "$487.66" in amounts(sender_on_2.get("/")[2])
    assert "$512.34" in amounts(recipient_on_3.get("/")[2])


def test_a_password_change_on_one_host_signs_the_user_out_on_another(cluster):
    (customer,) = cluster.customers.take(1)
    laptop = at(cluster, "app1")
    sign_in(laptop, customer["email"])
    phone = at(cluster, "app2")
    sign_in(phone, customer["email"])
    assert _signed_in(phone)  # and app2 has the user in the shared user cache now
    status, _, html = laptop.get("/auth/profile")
    assert status == 200
    fields = form_fields(html, "/auth/profile/password")
    new_password = "a brand new passphrase 2026"
    fields.update(current_password=PASSWORD, new_password=new_password, confirm=new_password)
    status, _, _ = laptop.post("/auth/profile/password", fields)
    assert status == 302

    assert not _signed_in(phone), "the other device is still signed in on app2"
    assert not _signed_in(moved_to(phone, cluster.host("app3").ip))
    assert _signed_in(moved_to(laptop, cluster.host("app3").ip))  # this device stays in


def _seed_schedules(conn, people: list[dict], per_person: int, weeks_back: int) -> list[int]:
    """Weekly schedules whose first occurrence was `weeks_back` weeks ago: one run posts
    `weeks_back + 1` occurrences of each."""
    first = datetime.now(UTC).date() - timedelta(weeks=weeks_back)
    ids = []
    for i, person in enumerate(people):
        target = people[(i + 1) % len(people)]
        for n in range(per_person):
            ids.append(
                conn.execute(
                    "INSERT INTO scheduled_transfers (owner_id, from_account_id, to_account_id,"
                    " amount, memo, frequency, next_run_on, status, runs, created_at)"
                    " SELECT owner_id, id, %s, %s, 'cluster run-due', 'weekly', %s, 'active', 0,"
                    " now() FROM accounts WHERE id = %s RETURNING id",
                    (target["account_id"], 100 + n, first, person["account_id"]),
                ).fetchone()[0]
            )
    conn.commit()
    return ids


def test_run_due_on_every_host_at_once_posts_each_occurrence_once(cluster):
    people = cluster.customers.take(6)
    with psycopg.connect(cluster.direct_database_url) as conn:
        ids = _seed_schedules(conn, people, per_person=4, weeks_back=2)  # 24 x 3 occurrences
        # Hold the schedules' table so that no run can take a schedule before all three
        # are waiting: then they start together (beat's own run-due may join in).
        conn.execute("LOCK TABLE scheduled_transfers IN EXCLUSIVE MODE")
        runs = [cluster.flask(h.name, "transfers", "run-due") for h in cluster.apps]
        waiting = (
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        with psycopg.connect(cluster.direct_database_url, autocommit=True) as watcher:
            assert wait_until(lambda: watcher.execute(waiting).fetchone()[0] >= 3, 90, 0.2)
        conn.commit()
    codes = [run.wait(timeout=120) for run in runs]
    assert codes == [0] * len(runs)

    with psycopg.connect(cluster.direct_database_url) as conn:
        posted = dict(
            conn.execute(
                # The stored key is "<owner id>:schedule:<id>:<occurrence date>".
                "SELECT split_part(idempotency_key, ':', 3)::bigint, count(*) "
                "FROM journal_transactions WHERE idempotency_key LIKE '%%:schedule:%%' "
                "AND split_part(idempotency_key, ':', 3)::bigint = ANY(%s) GROUP BY 1",
                (ids,),
            ).fetchall()
        )
        run_counts = dict(
            conn.execute("SELECT id, runs FROM scheduled_transfers WHERE id = ANY(%s)", (ids,))
        )
    assert posted == dict.fromkeys(ids, 3)
    assert run_counts == dict.fromkeys(ids, 3)
    prove_books(cluster)


def _sent_tasks(proc) -> int:
    return proc.tail(200_000).count("Sending due task")


def test_beat_on_two_hosts_sends_the_schedule_once(cluster):
    """RedBeat's lock in Redis: the second beat waits; the worker on app1 takes the tasks."""
    first = cluster.procs["beat-app1"]
    assert wait_until(lambda: _sent_tasks(first) > 0, 30), first.tail()
    second = cluster.start_beat("app2")
    try:
        time.sleep(8)  # the first beat sent at once on start; a second one could have too
        assert second.alive(), second.tail()
        assert _sent_tasks(second) == 0, second.tail()
        # The worker ran what beat sent (the heartbeat task stamps Redis).
        import redis

        client = redis.Redis.from_url(cluster.redis_url)
        assert wait_until(lambda: client.get("banking:worker:heartbeat") is not None, 30)
    finally:
        second.stop(timeout=15)


@pytest.fixture(autouse=True)
def _hosts_healthy(cluster):
    """Every test starts and ends with all app hosts in the balancer."""
    cluster.wait_balanced()
    yield
    cluster.wait_balanced()
