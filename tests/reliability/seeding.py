"""`python -m tests.reliability.seeding '<json>'`: customers for a reliability run.

Runs in its own process with the production environment the server will use; prints
one JSON line: [{"email", "account_id", "number"}, ...]. Money arrives through the
ledger (`post_adjustment` from external cash), like every movement.
"""

from __future__ import annotations

import json
import sys
import uuid


def main(spec: dict) -> list[dict]:
    from sqlalchemy import select

    from banking.app import create_app
    from banking.core import ledger
    from banking.core.models import Account
    from banking.extensions import db
    from banking.services.auth import create_user

    app = create_app()
    customers = []
    with app.app_context():
        ledger.ensure_system_accounts(db.session)
        db.session.commit()
        for index in range(spec["count"]):
            email = f"rel{index}.{uuid.uuid4().hex[:6]}@example.com"
            user = create_user(
                db.session,
                full_name=f"Reliability Customer {index}",
                email=email,
                password=spec["password"],
                role="customer",
            )
            db.session.commit()
            account = db.session.scalar(select(Account).where(Account.owner_id == user.id))
            ledger.post_adjustment(
                db.session,
                account_id=account.id,
                amount=spec["funding"],
                initiator_id=None,
                key=f"rel-seed-{uuid.uuid4()}",
                memo="Opening deposit",
                kind="deposit",
                system_code=ledger.EXTERNAL_CASH,
            )
            customers.append({"email": email, "account_id": account.id, "number": account.number})
    return customers


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
