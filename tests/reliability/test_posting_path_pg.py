"""The PostgreSQL posting path (ledger/sqlpath.py) under 16 threads, as the bench drives it.

Customers' transfers with every limit applied (per-transfer, daily: the user lock and the
24-hour SUM; review threshold), an audit row written by the one write statement, and
every thread submitting each of some keys twice. The books must balance, each key must
have moved money once (the second submit answered as a replay of the first), and every
posted transfer must have exactly its one audit row.
"""

from __future__ import annotations

import random
import threading
from uuid import uuid4

import pytest
from sqlalchemy import func, select

from banking.core import ledger
from banking.core.audit import transaction_hook
from banking.core.integrity import verify_ledger
from banking.core.models import Account, AuditEvent, JournalTransaction
from banking.extensions import db
from tests.support.builders import make_customer

pytestmark = pytest.mark.slow

THREADS = 16
TRANSFERS_PER_THREAD = 40
CUSTOMERS = 6  # fewer customers than threads: several threads share each user lock
OPENING = "500.00"
LIMITS = ledger.Limits(per_transfer=100_000, daily=2_500_000, review_threshold=50_000)


def test_sixteen_threads_post_with_limits_conserve_money_and_answer_replays_once(
    app, requires_postgres
):
    customers = [make_customer(app, f"Racer {n}", balance=OPENING) for n in range(CUSTOMERS)]
    accounts = [c.account_id for c in customers]
    barrier = threading.Barrier(THREADS)
    outcomes: list[dict] = []
    lock = threading.Lock()

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        me = customers[seed % CUSTOMERS]
        others = [a for a in accounts if a != me.account_id]
        outcome = {"posted": {}, "replayed": 0, "refused": 0, "errors": []}
        with app.app_context():
            barrier.wait()
            for number in range(TRANSFERS_PER_THREAD):
                key = str(uuid4())
                submits = 2 if number % 5 == 0 else 1  # every fifth key is sent twice
                destination, amount = rng.choice(others), rng.randint(1, 2_000)
                for _ in range(submits):
                    try:
                        result = ledger.post_transfer(
                            db.session,
                            source_id=me.account_id,
                            destination_id=destination,
                            amount=amount,
                            initiator_id=me.id,
                            owner_id=me.id,
                            key=key,
                            limits=LIMITS,
                            on_posted=transaction_hook(
                                "transfer.posted",
                                actor_id=me.id,
                                details=lambda txn: {"amount": txn.amount},
                            ),
                        )
                    except ledger.InsufficientFunds:
                        outcome["refused"] += 1
                        break
                    except Exception as exc:  # anything else is a bug
                        outcome["errors"].append(repr(exc))
                        break
                    if result.replayed:
                        assert outcome["posted"][key] == result.transaction_id
                        outcome["replayed"] += 1
                    else:
                        assert key not in outcome["posted"], "a key moved money twice"
                        outcome["posted"][key] = result.transaction_id
            db.session.remove()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert len(outcomes) == THREADS, "a worker thread died or hung"
    assert [e for o in outcomes for e in o["errors"]] == []
    posted = {tid for o in outcomes for tid in o["posted"].values()}
    assert sum(o["replayed"] for o in outcomes) > 0
    with app.app_context():
        balances = db.session.scalars(select(Account.balance).where(Account.id.in_(accounts)))
        assert sum(balances) == 50_000 * CUSTOMERS, "money created or destroyed"
        transfers = set(
            db.session.scalars(
                select(JournalTransaction.id).where(JournalTransaction.kind == "transfer")
            )
        )
        assert transfers == posted
        audited = db.session.execute(
            select(AuditEvent.target_id, func.count())
            .where(AuditEvent.action == "transfer.posted")
            .group_by(AuditEvent.target_id)
        ).all()
        assert {int(target) for target, _ in audited} == posted
        assert all(count == 1 for _, count in audited)
        report = verify_ledger(db.session, deep=True)
        assert report.ok, report.format()
        db.session.remove()
