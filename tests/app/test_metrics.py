"""/metrics: who may read it, what it says, and that no label ever names a person.

In-process (the test client) the metrics live in this process and only grow, so the
signal tests compare a value before and after the event. Under gunicorn (the first test)
each worker writes its own files in PROMETHEUS_MULTIPROC_DIR and /metrics adds them up.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.exc import OperationalError

from tests.app.test_gunicorn_serving import BIN, ROOT, free_port, production_env, wait_until_up
from tests.support.admin import admin_client
from tests.support.builders import login, make_customer, set_status
from tests.support.ledger import send
from tests.support.sessions import login_as, logout
from tests.support.transfers import confirm, pay, start_transfer

OUTSIDE = {"REMOTE_ADDR": "203.0.113.7"}  # TEST-NET-3: never in the allowed networks
TOKEN = "metrics-token-for-tests-0123456789"


# Reading the exposition ------------------------------------------------------------------
def samples(text: str) -> list:
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def value(text: str, name: str, **labels: str) -> float:
    """The sum of `name`'s samples whose labels include `labels` (0 when there is none)."""
    return sum(
        s.value
        for s in samples(text)
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


def scrape(client) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    return response.get_data(as_text=True)


# Under gunicorn, several workers ---------------------------------------------------------
def per_worker(directory: Path, name: str, **labels: str) -> dict[int, float]:
    """`name`'s count as each worker process wrote it in the multiprocess directory."""
    from prometheus_client.multiprocess import MultiProcessCollector

    counts = {}
    for path in directory.glob("counter_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        found = sum(
            s.value
            for family in MultiProcessCollector.merge([str(path)], accumulate=False)
            for s in family.samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        )
        if found:
            counts[pid] = found
    return counts


def fetch(url: str, **headers: str) -> str:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as r:
        assert r.status == 200
        return r.read().decode()


def test_request_counts_add_up_across_gunicorn_workers(
    app, requires_postgres, requires_redis, tmp_path
):
    """N requests spread over three workers are exactly N at /metrics, as one figure."""
    port, directory = free_port(), tmp_path / "prometheus"
    env = production_env(
        requires_postgres,
        requires_redis,
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_THREADS="2",
        DB_POOL_SIZE="2",
        DB_MAX_OVERFLOW="1",
        PROMETHEUS_MULTIPROC_DIR=str(directory),
    )
    env["WEB_CONCURRENCY"] = "3"  # production_env's default is 2
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/readyz", process)  # not /healthz: that is the route counted
        text = wait_for_all_workers(base, workers=3, pool_size=2)
        sent = 0
        # Concurrent requests, so the workers share them out; more batches until at least
        # two workers have served some (the kernel decides who accepts a connection).
        with ThreadPoolExecutor(max_workers=8) as pool:
            while sent < 400:
                list(pool.map(lambda _: fetch(f"{base}/healthz"), range(40)))
                sent += 40
                if len(per_worker(directory, "banking_http_requests_total", route="/healthz")) > 1:
                    break
        text = fetch(f"{base}/metrics")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=40)
        log.close()

    served = per_worker(directory, "banking_http_requests_total", route="/healthz")
    assert len(served) >= 2, served  # several worker pids answered
    assert sum(served.values()) == sent
    assert value(text, "banking_http_requests_total", route="/healthz") == sent
    assert value(text, "banking_http_requests_total", route="/healthz", status="200") == sent
    assert value(text, "banking_http_request_duration_seconds_count", route="/healthz") == sent
    # The scrape itself is in flight while it is counted; the pools are every worker's.
    assert value(text, "banking_http_requests_in_progress") >= 1
    assert value(text, "banking_db_pool_size") == 3 * 2
    assert value(text, "banking_db_pool_capacity") == 3 * (2 + 1)
    names = {s.name for s in samples(text)}
    assert {"banking_db_pool_checked_out", "banking_db_pool_overflow"} <= names


def wait_for_all_workers(base: str, *, workers: int, pool_size: int) -> str:
    """Scrape until every worker has booted (each adds its pool to the live sum)."""
    import time

    deadline = time.monotonic() + 30
    while True:
        text = fetch(f"{base}/metrics")
        if value(text, "banking_db_pool_size") == workers * pool_size:
            return text
        assert time.monotonic() < deadline, "not every gunicorn worker booted"
        time.sleep(0.2)


# Who may read it ---------------------------------------------------------------------------
def test_the_allowed_network_reads_the_metrics(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.headers["Cache-Control"] == "no-store"
    assert "banking_http_requests_total" in response.get_data(as_text=True)


def test_a_client_outside_the_allowed_networks_gets_404(client):
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 404


def test_only_the_right_bearer_token_opens_it_from_outside(app, client):
    app.config["METRICS_TOKEN"] = TOKEN
    wrong = client.get(
        "/metrics", environ_base=OUTSIDE, headers={"Authorization": "Bearer not-the-token"}
    )
    right = client.get(
        "/metrics", environ_base=OUTSIDE, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert wrong.status_code == 404
    assert right.status_code == 200
    assert "banking_http_requests_total" in right.get_data(as_text=True)
    assert TOKEN not in right.get_data(as_text=True)


def test_a_wrong_token_is_refused_even_from_an_allowed_address(app, client):
    app.config["METRICS_TOKEN"] = TOKEN
    response = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert response.status_code == 404


def test_the_refusal_looks_like_any_other_missing_page(app, client):
    """Nothing tells a stranger that /metrics exists: same status, headers and page."""
    app.config["METRICS_TOKEN"] = TOKEN
    refused = client.get("/metrics", environ_base=OUTSIDE, headers={"Authorization": "Bearer x"})
    missing = client.get("/no-such-page", environ_base=OUTSIDE)

    def normalized(response) -> str:
        # Per-response values (CSP nonce, request id) differ between any two pages.
        return re.sub(r'nonce="[^"]+"', 'nonce=""', response.get_data(as_text=True))

    assert (refused.status_code, missing.status_code) == (404, 404)
    assert refused.mimetype == missing.mimetype == "text/html"
    assert normalized(refused) == normalized(missing)
    assert sorted(set(refused.headers.keys())) == sorted(set(missing.headers.keys()))


def test_the_scrape_host_must_be_an_allowed_host(app, client):
    """As in production: the Host the scraper sends is checked like any other request's."""
    app.config["TRUSTED_HOSTS"] = ["bank.example.com"]
    assert client.get("/metrics", headers={"Host": "10.0.0.5:8000"}).status_code == 400
    assert client.get("/metrics", headers={"Host": "bank.example.com"}).status_code == 200


# No label names a person -------------------------------------------------------------------
DIGIT_RUN = re.compile(r"\d{4,}")


def test_no_label_carries_an_id_an_email_or_an_account_number(app, client):
    app.config["REVIEW_THRESHOLD_CENTS"] = 5_000
    alice = make_customer(app, "Alice Able", "alice.metrics@example.com", balance="200.00")
    bob = make_customer(app, "Bob Baker", "bob.metrics@example.com")
    before = {route_of(s): s.value for s in samples(scrape(client)) if route_of(s)}
    # A signed-in customer: sign-in by email (a failed one first), pages with ids, money.
    assert login(client, alice.email, "wrong password").status_code == 200
    assert login(client, alice.email).status_code == 302
    for url in (
        "/",
        f"/accounts/{alice.account_id}/history",
        f"/accounts/{alice.account_id}/statement",
        f"/accounts/{alice.account_id}/settings",
        f"/accounts/{bob.account_id}/history",  # someone else's: 404
        "/no-such-page",
        "/auth/profile",
    ):
        client.get(url)
    posted = pay(client, alice.account_id, bob.account_number, "12.34")
    assert posted.transaction_id is not None
    client.get(f"/transfers/{posted.transaction_id}")
    too_much = {"from_account": alice.account_id, "account_number": bob.account_number}
    assert not start_transfer(client, "pay", {**too_much, "amount": "500.00"}).confirm_fields
    refused = start_transfer(
        client,
        "pay",
        {"from_account": alice.account_id, "account_number": bob.account_number, "amount": "1"},
    )
    set_status(app, alice.account_id, "frozen")
    confirm(client, refused)
    set_status(app, alice.account_id, "active")
    logout(client)
    # An admin looking at the same people and movements.
    admin_client(app, client)
    for url in (
        f"/admin/users/{alice.id}",
        f"/admin/accounts/{alice.account_id}",
        f"/admin/journal/{posted.transaction_id}",
        "/admin/journal",
        "/admin/audit",
    ):
        assert client.get(url).status_code == 200, url

    text = scrape(client)
    rules = {rule.rule for rule in app.url_map.iter_rules()} | {"<unmatched>"}
    found = samples(text)
    # The routes this test's requests moved (other tests' apps add routes of their own).
    routes = {route_of(s)[1] for s in found if route_of(s) and s.value != before.get(route_of(s))}
    assert {"/accounts/<int:account_id>/history", "/admin/users/<int:user_id>"} <= routes
    assert routes <= rules, routes - rules
    for sample in found:
        for label, text_value in sample.labels.items():
            where = f"{sample.name}{{{label}={text_value!r}}}"
            assert "@" not in text_value, where
            assert not DIGIT_RUN.search(text_value), where
            assert alice.account_number not in text_value, where
            assert "alice" not in text_value.lower(), where


def route_of(sample) -> tuple | None:
    """A request sample's identity (name and labels) with its route first, or None."""
    if "route" not in sample.labels:
        return None
    return (sample.name, sample.labels["route"], *sorted(sample.labels.items()))


# Each signal moves when its event happens -----------------------------------------------
class Delta:
    """How far a metric moved between `Delta(client)` and `.of(...)`."""

    def __init__(self, client) -> None:
        self.client = client
        self.before = scrape(client)

    def of(self, name: str, **labels: str) -> float:
        return value(scrape(self.client), name, **labels) - value(self.before, name, **labels)


POSTINGS = "banking_ledger_postings_total"


def test_posted_held_and_refused_transfers_are_counted(app, client):
    app.config["REVIEW_THRESHOLD_CENTS"] = 5_000
    alice = make_customer(app, "Alice Able", balance="200.00")
    bob = make_customer(app, "Bob Baker")
    login_as(client, app, alice.id)
    delta = Delta(client)

    assert pay(client, alice.account_id, bob.account_number, "10.00").transaction_id
    assert pay(client, alice.account_id, bob.account_number, "60.00").transaction_id  # held
    attempt = start_transfer(
        client,
        "pay",
        {"from_account": alice.account_id, "account_number": bob.account_number, "amount": "1"},
    )
    set_status(app, alice.account_id, "frozen")  # frozen between the preview and the posting
    confirm(client, attempt)

    assert delta.of(POSTINGS, kind="transfer", outcome="posted") == 1
    assert delta.of(POSTINGS, kind="transfer", outcome="held") == 1
    assert delta.of(POSTINGS, kind="transfer", outcome="refused", reason="account_frozen") == 1


def test_a_ledger_retry_is_counted_by_its_reason(app, client):
    from banking.core.ledger.retries import with_retries
    from banking.extensions import db

    state = {"lost": False}

    def attempt() -> str:
        if not state["lost"]:
            state["lost"] = True
            raise OperationalError("UPDATE accounts", {}, Exception("database is locked"))
        return "done"

    delta = Delta(client)
    with app.app_context():
        assert with_retries(db.session, attempt, max_retries=2) == "done"
    assert delta.of("banking_ledger_retries_total", reason="database_locked") == 1


def test_failed_sign_ins_and_a_lockout_are_counted(app, client):
    app.config["LOCKOUT_THRESHOLD"] = 2
    alice = make_customer(app, "Alice Able")
    delta = Delta(client)

    login(client, "nobody@example.com", "whatever")
    login(client, alice.email, "wrong password")
    login(client, alice.email, "wrong password")  # the second failure locks

    failures = "banking_sign_in_failures_total"
    assert delta.of(failures, reason="unknown_email") == 1
    assert delta.of(failures, reason="bad_password") == 2
    assert delta.of(failures) == 3
    assert delta.of("banking_lockouts_total") == 1


def test_a_rate_limit_refusal_is_counted(app, client):
    """Flask-Limiter refuses in a before-request hook: the 429 must still be counted."""
    app.config["LOGIN_RATE_LIMIT"] = "2/minute"
    delta = Delta(client)
    statuses = [login(client, "nobody@example.com", "whatever").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert delta.of("banking_rate_limit_refusals_total", route="/auth/login") == 1
    assert delta.of("banking_http_requests_total", route="/auth/login", status="429") == 1


def test_a_forged_form_is_counted_too(client):
    """CSRF refuses before the view as well; its 400 is a request like any other."""
    delta = Delta(client)
    assert client.post("/auth/login", data={"email": "x@example.com"}).status_code == 400
    assert delta.of("banking_http_requests_total", route="/auth/login", status="400") == 1


def test_cache_hits_and_misses_are_counted(app, client):
    alice = make_customer(app, "Alice Able", balance="10.00")
    login_as(client, app, alice.id)
    delta = Delta(client)

    client.get("/")  # no cached page, no cached summary: both are made and cached
    client.get("/")  # the whole page is served from the cache

    assert delta.of("banking_cache_requests_total", result="miss") == 2
    assert delta.of("banking_cache_requests_total", result="hit") == 1


def test_subscriptions_are_made_once_however_many_apps_are_built(app, client, restore_limiter):
    from banking.app import create_app
    from config import TestingConfig

    create_app(TestingConfig())
    create_app(TestingConfig())
    alice = make_customer(app, "Alice Able", balance="10.00")
    bob = make_customer(app, "Bob Baker")
    delta = Delta(client)
    send(app, alice.account_id, bob.account_id, 100)
    assert delta.of(POSTINGS, kind="transfer", outcome="posted") == 1


# The alerts and the dashboard use names the app exports ------------------------------------
METRIC_NAME = re.compile(r"\bbanking_[a-z0-9_]+")
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def exported() -> dict[str, set[str]]:
    """Every series name /metrics can carry (app and worker), with its label names."""
    from prometheus_client.metrics import MetricWrapperBase

    from banking import metrics

    names: dict[str, set[str]] = {}
    for metric in vars(metrics).values():
        if isinstance(metric, MetricWrapperBase):
            for suffix in SUFFIXES[metric._type]:
                labels = set(metric._labelnames) | ({"le"} if suffix == "_bucket" else set())
                names[metric._name + suffix] = labels
    source = (ROOT / "banking" / "web" / "metrics.py").read_text()
    for name, labels in re.findall(
        r'GaugeMetricFamily\(\s*"(banking_[a-z0-9_]+)",[^)]*?(?:labels=\[([^\]]*)\])?\s*\)',
        source,
    ):
        names[name] = set(re.findall(r'"([a-z_]+)"', labels))
    return names


def dashboard_expressions() -> list[str]:
    found: list[str] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            found.extend(v for k, v in node.items() if k == "expr" and isinstance(v, str))
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(json.loads((ROOT / "deploy" / "grafana" / "banking.json").read_text()))
    return found


def alert_expressions() -> list[str]:
    rules = yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yml").read_text())
    tests = yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts_test.yml").read_text())
    expressions = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    series = [s["series"] for test in tests["tests"] for s in test.get("input_series", [])]
    return expressions + series


@pytest.mark.parametrize("source", ["alerts", "dashboard"])
def test_alerts_and_dashboard_use_only_exported_names_and_labels(source):
    expressions = alert_expressions() if source == "alerts" else dashboard_expressions()
    names = exported()
    assert expressions
    for expression in expressions:
        used = set(METRIC_NAME.findall(expression))
        assert used, expression
        assert used <= set(names), (expression, used - set(names))
        # Labels grouped by or matched on must be labels those series carry.
        # `instance` and `job` are the labels Prometheus adds to every scraped series.
        known = set().union(*(names[name] for name in used)) | {"instance", "job"}
        grouped = re.findall(r"\bby\s*\(([^)]*)\)", expression)
        matched = re.findall(r"[{,]\s*([a-z_]+)\s*(?:=~|!=|!~|=)", expression)
        labels = {label.strip() for group in grouped for label in group.split(",")} | set(matched)
        assert labels - {""} <= known, (expression, labels - known)
