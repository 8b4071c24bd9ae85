"""Baseline (c): the Flask ceiling of an HTTP transfer, pgbench's transfer posted like ours.

The smallest Flask app that makes baseline (b)'s transfer (pgbench's SQL, statement for
statement, on pgbench's scratch tables) for each POST of the transfer confirmation. It is
served with gunicorn.conf.py's settings and driven by the same wrk script and client
lines as the app (bench/lua/transfer.lua): `from_account` is the source's id, `to_number`
the destination's, `idempotency_key` the journal row's key. No session, no CSRF check, no
sign-in, no rule book, no notification, no cache: what is left is Flask, gunicorn,
psycopg and PostgreSQL. Its throughput against pgbench's is the most a Flask app makes of
baseline (b) on this machine; the app's against it is what the bank's own work costs.
"""

from __future__ import annotations

import os

import psycopg
from flask import Flask, abort, redirect, request

app = Flask(__name__)

# One connection per worker process (a sync worker serves one request at a time), its
# statements prepared on first use, as `pgbench -M prepared` does.
_connection: psycopg.Connection | None = None

LOCK = "SELECT id, balance FROM raw_accounts WHERE id IN (%s, %s) ORDER BY id FOR UPDATE"
DEBIT = (
    "UPDATE raw_accounts SET balance = balance - 1, available_balance = available_balance - 1"
    " WHERE id = %s"
)
CREDIT = (
    "UPDATE raw_accounts SET balance = balance + 1, available_balance = available_balance + 1"
    " WHERE id = %s"
)
JOURNAL = (
    "INSERT INTO raw_journal"
    " (idempotency_key, source_account_id, destination_account_id, amount, created_at)"
    " VALUES (%s, %s, %s, 1, now()) RETURNING id"
)
ENTRIES = (
    "INSERT INTO raw_entries (transaction_id, account_id, amount, balance_after, created_at)"
    " SELECT %s, id, CASE WHEN id = %s THEN -1 ELSE 1 END, balance, now()"
    " FROM raw_accounts WHERE id IN (%s, %s)"
)


def _connect() -> psycopg.Connection:
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(os.environ["CEILING_DATABASE_URL"], prepare_threshold=0)
    return _connection


@app.post("/transfers/confirm")
def confirm():
    form = request.form
    try:
        a, b = int(form["from_account"]), int(form["to_number"])
        key = form["idempotency_key"]
    except (KeyError, ValueError):
        abort(400)
    connection = _connect()
    with connection.transaction():
        connection.execute(LOCK, (min(a, b), max(a, b))).fetchall()
        connection.execute(DEBIT, (a,))
        connection.execute(CREDIT, (b,))
        journal_id = connection.execute(JOURNAL, (key, a, b)).fetchone()[0]
        connection.execute(ENTRIES, (journal_id, a, a, b))
    return redirect(f"/transfers/{journal_id}")


@app.get("/readyz")
def readyz():
    return {"status": "ok"}
