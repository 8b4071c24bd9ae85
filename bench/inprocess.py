"""CPU per request in-process: the signed-in pages against the minimal Flask baseline.

    python -m bench.inprocess [--requests 300] [--warmup 50] [--profile dashboard]
    BENCH_CALLERS="local.py:310" python -m bench.inprocess --profile dashboard  # who calls it

Wall-clock HTTP figures are noisy on a shared 2-CPU machine; CPU time per request
through the Flask test client is not, and it is what the HTTP throughput ratios follow.
It needs a database seeded by `python -m bench.seed` (the users `dashboard@example.com`
and `customer1@example.com`/`customer2@example.com` with the seed's password) and the
environment the benchmark servers use: APP_ENV=production, DATABASE_URL (PostgreSQL),
REDIS_URL (the cache), SECRET_KEY, ALLOWED_HOSTS including `localhost`.

Printed per page: CPU ms per request, its ratio to bench.baseline_app's, SQL statements
per request. For the transfer confirmation POST, the CPU spent inside `make_transfer`
(the ledger's posting, owned elsewhere) is reported apart from the rest ("web side").
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import sys
import time
import uuid
from collections.abc import Callable

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


ROUNDS = 5


def per_request(
    call: Callable[[], object], requests: int, warmup: int, timer: LedgerTimer | None = None
) -> tuple[float, float]:
    """CPU ms per call after `warmup` unmeasured calls: the best of ROUNDS rounds of
    requests / ROUNDS calls each (on a shared machine the other processes only ever add
    time, through cache and scheduler pressure, so the minimum is the steadiest figure).

    Returns (CPU ms per call, of which inside `timer`'s function) for the best round.
    """
    for _ in range(warmup):
        call()
    per_round = max(1, requests // ROUNDS)
    best = (float("inf"), 0.0)
    for _ in range(ROUNDS):
        if timer is not None:
            timer.cpu = 0.0
        began = time.process_time()
        for _ in range(per_round):
            call()
        total = (time.process_time() - began) * 1000 / per_round
        inner = timer.cpu * 1000 / per_round if timer is not None else 0.0
        best = min(best, (total, inner))
    return best


def baseline_ms(requests: int, warmup: int) -> float:
    from bench.baseline_app import app

    client = app.test_client()

    def call():
        response = client.get("/")
        assert response.status_code == 200

    return per_request(call, requests, warmup)[0]


class StatementCounter:
    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_args) -> None:
        self.count += 1


class LedgerTimer:
    """Wraps the view module's `make_transfer`: CPU spent inside it, summed."""

    def __init__(self) -> None:
        from banking.web.accounts import transfer_views

        self.cpu = 0.0
        inner = transfer_views.make_transfer

        def timed(*args, **kwargs):
            began = time.process_time()
            try:
                return inner(*args, **kwargs)
            finally:
                self.cpu += time.process_time() - began

        transfer_views.make_transfer = timed


def sign_in(client, email: str, password: str) -> str:
    page = client.get("/auth/login").get_data(as_text=True)
    token = CSRF.search(page).group(1)
    response = client.post(
        "/auth/login", data={"csrf_token": token, "email": email, "password": password}
    )
    if response.status_code != 302:
        raise SystemExit(f"sign-in as {email} answered {response.status_code}")
    return token


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--profile", choices=("dashboard", "history", "form", "confirm"))
    args = parser.parse_args(argv)

    from sqlalchemy import select

    from banking.app import create_app
    from banking.core.models import Account, User
    from banking.extensions import db
    from bench.seed import PASSWORD

    app = create_app()
    if app.config["ENV_NAME"] != "production":
        print("warning: APP_ENV is not production", file=sys.stderr)
    with app.app_context():
        counter = StatementCounter(db.engine)
        ids = dict(
            db.session.execute(
                select(User.email, Account.id)
                .join(Account, Account.owner_id == User.id)
                .where(User.email.in_(["dashboard@example.com", "customer2@example.com"]))
                .order_by(Account.id)
            ).all()
        )
        payer_account = db.session.scalar(
            select(Account.id)
            .join(User, Account.owner_id == User.id)
            .where(User.email == "customer1@example.com")
        )
        to_number = db.session.scalar(
            select(Account.number).where(Account.id == ids["customer2@example.com"])
        )
        db.session.remove()

    dash = app.test_client()
    sign_in(dash, "dashboard@example.com", PASSWORD)
    payer = app.test_client()
    sign_in(payer, "customer1@example.com", PASSWORD)
    csrf = CSRF.search(payer.get("/transfers/pay").get_data(as_text=True)).group(1)
    history_url = f"/accounts/{ids['dashboard@example.com']}/history"

    def get(client, url: str) -> Callable[[], object]:
        def call():
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"GET {url} answered {response.status_code}")

        return call

    def confirm():
        response = payer.post(
            "/transfers/confirm",
            data={
                "csrf_token": csrf,
                "flow": "pay",
                "from_account": str(payer_account),
                "to_number": to_number,
                "amount": "0.01",
                "memo": "inprocess",
                "idempotency_key": str(uuid.uuid4()),
            },
        )
        if response.status_code != 302:
            raise SystemExit(f"confirm answered {response.status_code}")

    pages = {
        "dashboard": get(dash, "/"),
        "history": get(dash, history_url),
        "form": get(payer, "/transfers/pay"),
        "confirm": confirm,
    }
    if args.profile:
        call = pages[args.profile]
        for _ in range(args.warmup):
            call()
        # CPU time, not wall: waits for PostgreSQL and Redis are not what limits throughput.
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for _ in range(args.requests):
            call()
        profiler.disable()
        stats = pstats.Stats(profiler)
        if os.environ.get("BENCH_PROFILE_OUT"):  # for pstats / snakeviz afterwards
            stats.dump_stats(os.environ["BENCH_PROFILE_OUT"])
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
        if os.environ.get("BENCH_CALLERS"):
            stats.print_callers(os.environ["BENCH_CALLERS"])
        return 0

    base = baseline_ms(args.requests, args.warmup)
    timer = LedgerTimer()
    print(f"{'page':<34} {'CPU ms/req':>10} {'x baseline':>10} {'SQL/req':>8}")
    print(f"{'baseline (bench.baseline_app /)':<34} {base:>10.3f} {1.0:>10.1f} {0:>8}")
    labels = {
        "dashboard": "dashboard (cached summary)",
        "history": "history page 1",
        "form": "transfer form (GET /transfers/pay)",
        "confirm": "transfer confirm POST (all)",
    }
    for name, call in pages.items():
        counter.count = 0
        ms, ledger = per_request(call, args.requests, args.warmup, timer)
        calls = args.warmup + max(1, args.requests // ROUNDS) * ROUNDS
        statements = counter.count / calls
        print(f"{labels[name]:<34} {ms:>10.3f} {ms / base:>10.1f} {statements:>8.1f}")
        if name == "confirm":
            print(f"{'  of which make_transfer':<34} {ledger:>10.3f}")
            web = ms - ledger
            print(f"{'  web side (the rest)':<34} {web:>10.3f} {web / base:>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
