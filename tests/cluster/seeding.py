"""`python -m tests.cluster.seeding '<json>'`: scheduled transfers due for `transfers run-due`.

Each spec row {"from": account_id, "owner_email": ..., "to": account_id} becomes a weekly
schedule whose first occurrence was `weeks_back` weeks ago, so one run posts
`weeks_back + 1` occurrences of it. Prints the schedule ids as one JSON line.
"""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta


def main(spec: dict) -> list[int]:
    from sqlalchemy import select

    from banking.app import create_app
    from banking.core.models import Account
    from banking.core.models.schedule import Frequency, ScheduledTransfer
    from banking.extensions import db

    app = create_app()
    ids = []
    today = date.fromisoformat(spec["today"])
    with app.app_context():
        for row in spec["rows"]:
            source = db.session.scalar(select(Account).where(Account.id == row["from"]))
            schedule = ScheduledTransfer(
                owner_id=source.owner_id,
                from_account_id=row["from"],
                to_account_id=row["to"],
                amount=row["amount"],
                memo="cluster run-due",
                frequency=Frequency.WEEKLY.value,
                next_run_on=today - timedelta(weeks=spec["weeks_back"]),
            )
            db.session.add(schedule)
            db.session.flush()
            ids.append(schedule.id)
        db.session.commit()
    return ids


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
