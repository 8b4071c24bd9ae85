"""Seeding the benchmark database: `python -m bench.seed '<json spec>'` prints a JSON plan.

Runs in its own process with the production environment the server will use. Money
that customers move goes through the ledger (`post_adjustment`, `post_transfer`);
only the two long histories are written set-based (INSERT … SELECT generate_series),
because a million ledger calls would take hours. Those rows are balanced journal
transactions with correct balance-after (a window SUM), written before any ledger
posting and dated in the past, so every account's entry chain stays in order;
`flask ledger verify` afterwards proves the seed consistent.
"""

from __future__ import annotations

import json
import secrets
import sys
import time

from sqlalchemy import insert, select, text

PASSWORD = "bench-password-correct-horse-42"
FUNDING_CENTS = 10_000_000  # $100,000 per customer account: transfers never run dry

# One generated history: the account alternates deposits (larger) and withdrawals
# (smaller) against a system account, so its balance only ever grows and stays >= 0.
HISTORY_SQL = """
WITH gen AS (
    SELECT g,
           CASE WHEN g % 2 = 1 THEN 5000 + (g * 7919) % 10000
                ELSE -(100 + (g * 104729) % 4000) END AS delta,
           CAST(:start AS timestamptz) + g * make_interval(secs => :step) AS at
    FROM generate_series(CAST(1 AS bigint), CAST(:n AS bigint)) AS g
), run AS (
    SELECT g, delta, at, :acct_start + SUM(delta) OVER (ORDER BY g) AS acct_after FROM gen
), tx AS (
    INSERT INTO journal_transactions (kind, status, memo, idempotency_key, fingerprint,
        source_account_id, destination_account_id, amount, created_at, posted_at)
    SELECT CASE WHEN delta > 0 THEN 'deposit' ELSE 'withdrawal' END, 'posted',
           CASE WHEN delta > 0 THEN (ARRAY['Salary', 'Refund', 'Cash deposit'])[1 + g % 3]
                ELSE (ARRAY['Coffee shop', 'Groceries', 'Rent', 'Electricity',
                            'Book store'])[1 + g % 5] END || ' ' || g,
           'seed:' || :tag || ':' || g, md5(:tag || g) || md5(g || :tag),
           CASE WHEN delta > 0 THEN :cp ELSE :acct END,
           CASE WHEN delta > 0 THEN :acct ELSE :cp END,
           abs(delta), at, at
    FROM run ORDER BY g
    RETURNING id, idempotency_key
)
INSERT INTO entries (transaction_id, account_id, amount, balance_after, created_at)
SELECT tx.id, side.account_id, side.amount, side.balance_after, run.at
FROM tx
JOIN run ON run.g = CAST(split_part(tx.idempotency_key, ':', 3) AS bigint)
CROSS JOIN LATERAL (VALUES
    (CAST(:acct AS bigint), run.delta, run.acct_after),
    (CAST(:cp AS bigint), -run.delta, :cp_start - (run.acct_after - :acct_start))
) AS side(account_id, amount, balance_after)
"""


def luhn_number(body: str) -> str:
    from banking.core.account_numbers import luhn_check_digit

    return body + luhn_check_digit(body)


def unique_numbers(count: int, taken: set[str]) -> list[str]:
    numbers: list[str] = []
    while len(numbers) < count:
        number = luhn_number(str(secrets.randbelow(9 * 10**10) + 10**10))
        if number not in taken:
            taken.add(number)
            numbers.append(number)
    return numbers


def insert_customers(session, emails: list[str], password_hash: str) -> dict[str, int]:
    """Users and one checking account each, in bulk (one hash reused: argon2 is slow)."""
    from banking.core.models import Account, User
    from banking.core.models.base import utcnow

    verified_at = utcnow()
    now_rows = [
        {
            "email": email,
            "full_name": f"Bench {email.split('@')[0].title()}",
            "password_hash": password_hash,
            "email_verified_at": verified_at,  # as if each had followed the sign-up link
        }
        for email in emails
    ]
    session.execute(insert(User), now_rows)
    ids = dict(session.execute(select(User.email, User.id).where(User.email.in_(emails))).all())
    taken = set(session.scalars(select(Account.number)))
    numbers = unique_numbers(len(emails), taken)
    session.execute(
        insert(Account),
        [
            {
                "number": number,
                "owner_id": ids[email],
                "kind": "checking",
                "currency": "USD",
                "nickname": "Everyday checking",
                "balance": 0,
                "available_balance": 0,
                "overdraft_limit": 0,
            }
            for email, number in zip(emails, numbers, strict=True)
        ],
    )
    session.commit()
    return ids


def generate_history(
    session,
    *,
    account_id: int,
    counterpart_id: int,
    n: int,
    tag: str,
    start_sql: str,
    step_s: float,
) -> None:
    """`n` balanced journal transactions on `account_id`, set-based, then fix balances."""
    from banking.core.models import Account

    acct_start = session.get(Account, account_id).balance
    cp_start = session.get(Account, counterpart_id).balance
    start = session.scalar(text(f"SELECT {start_sql}"))
    session.execute(
        text(HISTORY_SQL),
        {
            "start": start,
            "step": step_s,
            "n": n,
            "acct_start": acct_start,
            "cp_start": cp_start,
            "acct": account_id,
            "cp": counterpart_id,
            "tag": tag,
        },
    )
    for target in (account_id, counterpart_id):
        session.execute(
            text(
                "UPDATE accounts SET balance = s.total, available_balance = s.total "
                "FROM (SELECT coalesce(sum(amount), 0) AS total FROM entries "
                "WHERE account_id = :id) s WHERE accounts.id = :id"
            ),
            {"id": target},
        )
    session.commit()


def seed(spec: dict) -> dict:
    from banking.app import create_app
    from banking.core.ledger import (
        EXTERNAL_CASH,
        ensure_system_accounts,
        post_adjustment,
        post_transfer,
    )
    from banking.core.models import Account
    from banking.extensions import db
    from banking.services.accounts import open_account
    from banking.services.passwords import hash_password

    timings: dict[str, float] = {}
    started = time.perf_counter()
    app = create_app()
    with app.app_context():
        session = db.session
        session.execute(text("SET synchronous_commit = off"))
        systems = ensure_system_accounts(session)
        password_hash = hash_password(PASSWORD)
        customers = [f"customer{i}@example.com" for i in range(1, spec["customers"] + 1)]
        special = ["dashboard@example.com", "big@example.com", "small@example.com"]
        ids = insert_customers(session, customers + special, password_hash)
        timings["users_s"] = round(time.perf_counter() - started, 2)

        def account_of(email: str) -> Account:
            return session.scalar(select(Account).where(Account.owner_id == ids[email]))

        big, small = account_of("big@example.com"), account_of("small@example.com")
        big_id, small_id = big.id, small.id
        mark = time.perf_counter()
        # Big history first (oldest), then the small one, both ending before "now".
        generate_history(
            session,
            account_id=big_id,
            counterpart_id=systems[EXTERNAL_CASH],
            n=spec["big_entries"],
            tag="big",
            start_sql="now() - interval '400 days'",
            step_s=30,
        )
        generate_history(
            session,
            account_id=small_id,
            counterpart_id=systems[EXTERNAL_CASH],
            n=spec["small_entries"],
            tag="small",
            start_sql="now() - interval '30 days'",
            step_s=600,
        )
        timings["histories_s"] = round(time.perf_counter() - mark, 2)
        if spec.get("customer_history"):
            mark = time.perf_counter()
            from bench.seed_scale import generate_customer_histories

            generate_customer_histories(
                session,
                account_ids=list(
                    session.scalars(
                        select(Account.id)
                        .where(Account.owner_id.in_([ids[email] for email in customers]))
                        .order_by(Account.id)
                    )
                ),
                per=spec["customer_history"],
                counterpart_id=systems[EXTERNAL_CASH],
            )
            timings["customer_histories_s"] = round(time.perf_counter() - mark, 2)

        mark = time.perf_counter()
        funded = [*customers[: spec["transfer_accounts"]], "dashboard@example.com"]
        account_ids = {}
        for email in funded:
            account_ids[email] = account_of(email).id
        for account_id in account_ids.values():
            post_adjustment(
                session,
                account_id=account_id,
                amount=FUNDING_CENTS,
                initiator_id=None,
                key=f"bench-fund-{account_id}",
                memo="Opening deposit",
                kind="deposit",
                system_code=EXTERNAL_CASH,
            )
        timings["funding_s"] = round(time.perf_counter() - mark, 2)

        # The dashboard customer looks like a typical one: two accounts, some history.
        dash_user = ids["dashboard@example.com"]
        savings = open_account(session, dash_user, kind="savings")
        savings_id = savings.id
        session.commit()
        for i in range(spec["dashboard_transfers"]):
            source, destination = (
                (account_ids["dashboard@example.com"], savings_id)
                if i % 3 != 2
                else (savings_id, account_ids["dashboard@example.com"])
            )
            post_transfer(
                session,
                source_id=source,
                destination_id=destination,
                amount=1000 + i,
                initiator_id=dash_user,
                key=f"bench-dash-{i}",
                memo=f"Saving {i}",
                owner_id=dash_user,
            )
        session.execute(text("ANALYZE"))
        session.commit()
        numbers = dict(
            session.execute(
                select(Account.id, Account.number).where(Account.id.in_(list(account_ids.values())))
            ).all()
        )
        journal_rows = session.scalar(text("SELECT count(*) FROM journal_transactions"))
        timings["total_s"] = round(time.perf_counter() - started, 2)
        return {
            "password": PASSWORD,
            "dashboard_email": "dashboard@example.com",
            "dashboard_account_id": account_ids["dashboard@example.com"],
            "journal_rows": journal_rows,
            "big": {
                "email": "big@example.com",
                "user_id": ids["big@example.com"],
                "account_id": big_id,
                "entries": spec["big_entries"],
            },
            "small": {
                "email": "small@example.com",
                "user_id": ids["small@example.com"],
                "account_id": small_id,
                "entries": spec["small_entries"],
            },
            "transfer_users": [
                {
                    "email": email,
                    "user_id": ids[email],
                    "account_id": account_ids[email],
                    "number": numbers[account_ids[email]],
                }
                for email in customers[: spec["transfer_accounts"]]
            ],
            "customers": len(customers) + len(special),
            "timings": timings,
        }


if __name__ == "__main__":
    result = seed(json.loads(sys.argv[1]))
    print("SEED_JSON " + json.dumps(result))
