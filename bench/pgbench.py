"""Baseline (b): the same transfer as raw SQL, driven by pgbench at the same concurrency.

What the app's ledger does per transfer, without Python, HTTP or an ORM: lock both
accounts in id order (SELECT … FOR UPDATE), update both balances, insert the journal
row and its two entries with balance-after, commit. It runs in its own scratch
database so it never touches the app's data.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from bench.stats import latency_summary_ms

SCHEMA_SQL = """
DROP TABLE IF EXISTS raw_entries, raw_journal, raw_accounts;
CREATE TABLE raw_accounts (
    id bigint PRIMARY KEY,
    balance bigint NOT NULL CHECK (balance >= 0),
    available_balance bigint NOT NULL
);
CREATE TABLE raw_journal (
    id bigserial PRIMARY KEY,
    idempotency_key varchar(128) NOT NULL UNIQUE,
    source_account_id bigint NOT NULL REFERENCES raw_accounts(id),
    destination_account_id bigint NOT NULL REFERENCES raw_accounts(id),
    amount bigint NOT NULL CHECK (amount > 0),
    created_at timestamptz NOT NULL
);
CREATE TABLE raw_entries (
    id bigserial PRIMARY KEY,
    transaction_id bigint NOT NULL REFERENCES raw_journal(id),
    account_id bigint NOT NULL REFERENCES raw_accounts(id),
    amount bigint NOT NULL,
    balance_after bigint NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX ON raw_entries (transaction_id);
CREATE INDEX ON raw_entries (account_id, created_at, id);
INSERT INTO raw_accounts SELECT g, 100000000, 100000000 FROM generate_series(1, {accounts}) g;
VACUUM ANALYZE raw_accounts;
"""

# One transfer of 1 cent between two distinct random accounts, locked in id order.
TRANSFER_SCRIPT = """\\set a random(1, :naccounts)
\\set off random(1, :naccounts - 1)
\\set b ((:a - 1 + :off) % :naccounts) + 1
\\set lo least(:a, :b)
\\set hi greatest(:a, :b)
BEGIN;
SELECT id, balance FROM raw_accounts WHERE id IN (:lo, :hi) ORDER BY id FOR UPDATE;
UPDATE raw_accounts SET balance = balance - 1, available_balance = available_balance - 1
    WHERE id = :a;
UPDATE raw_accounts SET balance = balance + 1, available_balance = available_balance + 1
    WHERE id = :b;
INSERT INTO raw_journal
    (idempotency_key, source_account_id, destination_account_id, amount, created_at)
    VALUES (:client_id || '-' || md5(random()::text), :a, :b, 1, now())
    RETURNING id AS txid \\gset
INSERT INTO raw_entries (transaction_id, account_id, amount, balance_after, created_at)
    SELECT :txid, id, CASE WHEN id = :a THEN -1 ELSE 1 END, balance, now()
    FROM raw_accounts WHERE id IN (:a, :b);
COMMIT;
"""


def pgbench_command(
    database_url: str, script: Path, *, clients: int, duration_s: float, accounts: int, log_prefix
) -> list[str]:
    """The pgbench argv (pure; unit-tested)."""
    return [
        "pgbench",
        "-n",  # no vacuum of pgbench's own tables (we have none)
        "-M",
        "prepared",
        f"-c{clients}",
        f"-j{min(clients, 2)}",
        f"-T{max(1, round(duration_s))}",
        "-D",
        f"naccounts={accounts}",
        "-l",
        f"--log-prefix={log_prefix}",
        "-f",
        str(script),
        database_url,
    ]


def parse_pgbench_summary(text: str) -> dict:
    """tps, transactions and failures from pgbench's summary (pure; unit-tested)."""
    result: dict = {"tps": None, "transactions": None, "failed": 0}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("number of transactions actually processed:"):
            result["transactions"] = int(line.split(":")[1].split("/")[0].strip())
        elif line.startswith("number of failed transactions:"):
            result["failed"] = int(line.split(":")[1].split("(")[0].strip())
        elif line.startswith("tps =") and result["tps"] is None:
            result["tps"] = round(float(line.split("=")[1].split("(")[0].strip()), 1)
    return result


def parse_pgbench_log_latencies(lines) -> list[float]:
    """Per-transaction latencies in seconds from pgbench -l logs (3rd field, µs)."""
    latencies = []
    for line in lines:
        fields = line.split()
        if len(fields) >= 3 and fields[2].isdigit():
            latencies.append(int(fields[2]) / 1_000_000)
    return latencies


def prepare_database(admin_url: str, database: str, database_url: str, accounts: int) -> None:
    """Fresh tables in the scratch database (created once: CREATE DATABASE forces a
    checkpoint, which on a busy machine costs more than the measurement itself)."""
    exists = run_psql(admin_url, f"SELECT 1 FROM pg_database WHERE datname = '{database}'")
    if not exists.strip():
        run_psql(admin_url, f"CREATE DATABASE {database}")
    run_psql(database_url, SCHEMA_SQL.format(accounts=accounts))


def raw_consistent(database_url: str, accounts: int) -> bool:
    """No cent made or lost on the scratch tables: balances sum to what was funded, and
    the entries (one debit, one credit per transfer) to zero."""
    answer = run_psql(
        database_url,
        "SELECT (SELECT sum(balance) FROM raw_accounts) = 100000000::bigint * "
        f"{int(accounts)} AND (SELECT coalesce(sum(amount), 0) FROM raw_entries) = 0",
    )
    return answer.strip() == "t"


def run_psql(url: str, sql: str) -> str:
    completed = subprocess.run(
        ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url],
        input=sql,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"psql failed: {completed.stderr.strip()}")
    return completed.stdout


def run_transfer_baseline(
    admin_url: str,
    database: str,
    database_url: str,
    *,
    accounts: int,
    clients: int,
    duration_s: float,
    out_dir: Path,
    before_window=None,
) -> dict:
    """Fresh scratch tables with `accounts` rows, then pgbench; figures for the report.

    `before_window` (if given) is called once the tables are ready, right before pgbench.
    """
    prepare_database(admin_url, database, database_url, accounts)
    script = out_dir / "pgbench_transfer.sql"
    script.write_text(TRANSFER_SCRIPT)
    with tempfile.TemporaryDirectory(dir=out_dir) as logs:
        prefix = str(Path(logs) / "tx")
        command = pgbench_command(
            database_url,
            script,
            clients=clients,
            duration_s=duration_s,
            accounts=accounts,
            log_prefix=prefix,
        )
        if before_window:
            before_window()
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=duration_s + 120, check=False
        )
        (out_dir / f"pgbench_{accounts}.log").write_text(completed.stdout + completed.stderr)
        if completed.returncode not in (0, 2):  # 2: some clients aborted; reported below
            raise RuntimeError(f"pgbench exited {completed.returncode}: {completed.stderr[-2000:]}")
        latencies: list[float] = []
        for log_file in Path(logs).glob("tx*"):
            with log_file.open() as handle:
                latencies += parse_pgbench_log_latencies(handle)
    summary = parse_pgbench_summary(completed.stdout)
    if not summary["transactions"]:
        raise RuntimeError(f"pgbench processed no transactions: {completed.stderr[-2000:]}")
    consistent = raw_consistent(database_url, accounts)
    return {
        "accounts": accounts,
        "clients": clients,
        "tps": summary["tps"],
        "transactions": summary["transactions"],
        "errors": summary["failed"] + (0 if completed.returncode == 0 else 1),
        "consistent": consistent,
        **latency_summary_ms(latencies),
    }
