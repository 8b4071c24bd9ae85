"""Periodic work on a real worker: run-due racing the CLI, beat's single lock, heartbeat,
and the worker's own metrics endpoint."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from sqlalchemy import create_engine, func, select, text

from banking.background import enqueue
from banking.core.models import JournalTransaction, ScheduledTransfer
from banking.core.periods import local_today
from banking.extensions import db
from config import normalize_database_url
from tests.support.builders import make_customer
from tests.worker.processes import BIN, ROOT, eventually

pytestmark = pytest.mark.slow

RUN_DUE = "banking.run_due_transfers"
SCHEDULES = 8
POSTED = re.compile(r"(\d+) posted")


def make_due_schedules(app, owner, destination_id: int) -> list[int]:
    """`SCHEDULES` schedules of $1.00 due today (half once, half weekly)."""
    today = local_today(app.config["DISPLAY_TIMEZONE"])
    with app.app_context():
        schedules = [
            ScheduledTransfer(
                owner_id=owner.id,
                from_account_id=owner.account_id,
                to_account_id=destination_id,
                amount=100,
                memo=f"Scheduled {n}",
                frequency="once" if n % 2 else "weekly",
                next_run_on=today,
            )
            for n in range(SCHEDULES)
        ]
        db.session.add_all(schedules)
        db.session.commit()
        ids = [schedule.id for schedule in schedules]
        db.session.remove()
    return ids


def scheduled_postings(app) -> dict[str, int]:
    """Journal transactions per idempotency key, for the scheduled ones."""
    with app.app_context():
        rows = db.session.execute(
            select(JournalTransaction.idempotency_key, func.count())
            .where(JournalTransaction.idempotency_key.like("%schedule:%"))
            .group_by(JournalTransaction.idempotency_key)
        ).all()
        db.session.remove()
    return dict(rows)


def waiting_on_locks(connection) -> int:
    count = connection.scalar(
        text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
    )
    connection.rollback()  # pg_stat_activity is a snapshot per transaction
    return count


def flask_command(env: dict, *args: str, **options) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **options,
    )


def worker_posted(log: str) -> int:
    """What the worker's run reported ("N posted, ...") in its JSON log line."""
    for line in log.splitlines():
        if line.startswith("{") and '"scheduled transfers run"' in line:
            return int(POSTED.match(json.loads(line)["summary"]).group(1))
    raise AssertionError("the worker logged no run-due summary")


def test_run_due_on_the_worker_and_from_the_cli_at_once_posts_each_occurrence_once(
    app, database_url, worker_env, start_worker, producer
):
    """Both runners are held at the same lock (the owner's row, which every posting takes)
    until each has claimed a schedule, then race for the rest: each must post at least
    one, together exactly one per occurrence."""
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    schedule_ids = make_due_schedules(app, alice, bob.account_id)
    worker = start_worker()
    env = worker_env()

    gate = create_engine(normalize_database_url(database_url))
    cli = None
    try:
        with gate.connect() as holder, gate.connect() as watcher:
            holder.execute(text("SELECT id FROM users WHERE id = :id FOR UPDATE"), {"id": alice.id})
            with producer().app_context():
                enqueue(RUN_DUE)
            cli = flask_command(env, "transfers", "run-due")
            eventually(lambda: waiting_on_locks(watcher) >= 2, "both runners at the gate")
            holder.rollback()  # open the gate: both race for the remaining schedules
        cli_out, cli_err = cli.communicate(timeout=60)
    finally:
        gate.dispose()
        if cli is not None and cli.poll() is None:
            cli.kill()
    assert cli.returncode == 0, cli_err
    worker.wait_for_run(RUN_DUE)

    from_cli = int(POSTED.search(cli_out).group(1))
    from_worker = worker_posted(worker.log())
    assert from_cli >= 1 and from_worker >= 1, (from_cli, from_worker)
    assert from_cli + from_worker == SCHEDULES
    postings = scheduled_postings(app)
    assert len(postings) == SCHEDULES and set(postings.values()) == {1}
    assert all(any(f"schedule:{i}:" in key for key in postings) for i in schedule_ids)

    verify = flask_command(env, "ledger", "verify", "--deep")
    out, err = verify.communicate(timeout=60)
    assert verify.returncode == 0, out + err


def test_one_beat_holds_the_lock_and_its_heartbeat_runs_on_the_worker(
    app, broker, start_worker, start_beat
):
    """Two beats started together (two hosts): one takes RedBeat's lock and sends, the
    other waits for the lock. The heartbeat is due 30 s after a fresh start."""
    worker = start_worker()
    beats = [start_beat("beat-1"), start_beat("beat-2")]

    eventually(lambda: broker.exists("banking:redbeat:lock"), "a beat to take the lock")
    eventually(lambda: broker.get("banking:worker:heartbeat"), "the worker's heartbeat", seconds=60)
    worker.wait_for_run("banking.heartbeat")
    metrics = worker.metrics_text()
    assert 'banking_task_duration_seconds_count{task="banking.heartbeat"}' in metrics

    for beat in beats:
        beat.assert_alive()
    logs = {beat.name: beat.log() for beat in beats}
    sending = [name for name, log in logs.items() if "Sending due task heartbeat" in log]
    holding = [name for name, log in logs.items() if "Acquired lock" in log]
    assert len(sending) == 1, logs
    assert holding == sending  # the other one is still waiting for the lock
    assert "RedBeat will stop falling back" not in "".join(logs.values())
