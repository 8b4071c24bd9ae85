"""The worker's tasks: thin adapters over the services, like the views and the commands.

Each task is idempotent (safe to run twice or concurrently), takes only ids, dates and
names as arguments, and retries transient failures through `banking.background.AppTask`.
`register` adds them to a Celery app; `BEAT_SCHEDULE` is what the single beat sends.
"""

from __future__ import annotations

from celery import Celery
from celery.schedules import crontab

from banking.tasks import email, periodic

BEAT_SCHEDULE = {
    "run-due-transfers": {"task": "banking.run_due_transfers", "schedule": 60.0},
    "expire-holds": {"task": "banking.expire_holds", "schedule": crontab(minute=7)},
    "accrue-interest": {
        "task": "banking.accrue_interest",
        "schedule": crontab(minute=30, hour=0, day_of_month=1),
    },
    # Statements are months of the bank's calendar (DISPLAY_TIMEZONE): at 00:45 UTC on
    # the 1st a zone behind UTC is still in the old month, so the 2nd runs again; a run
    # that finds every document already produced writes nothing.
    "produce-statements": {
        "task": "banking.produce_statements",
        "schedule": crontab(minute=45, hour=0, day_of_month="1,2"),
    },
    "verify-ledger": {"task": "banking.verify_ledger", "schedule": crontab(minute=0, hour=3)},
    "heartbeat": {"task": "banking.heartbeat", "schedule": 30.0},
    # The notification emails' outbox: the safety net under the web's "sweep now" kicks
    # (and all there is while the broker refused them). The task expires after 10 s.
    "sweep-notification-emails": {"task": "banking.sweep_notification_emails", "schedule": 10.0},
}


def register(celery: Celery) -> None:
    email.register(celery)
    periodic.register(celery)
    celery.conf.beat_schedule = BEAT_SCHEDULE
