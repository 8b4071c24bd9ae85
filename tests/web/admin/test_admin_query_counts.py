"""Admin lists run a constant number of SQL statements however many rows they show.

Owners' names beside account numbers (journal, review queue, accounts), hold expiries and
the audit log's sentences (which name accounts and users) all come from a few queries
per page; a per-row lookup (an N+1) would show here as a count that grows with the rows.
"""

from __future__ import annotations

from uuid import uuid4

import pytest

from banking.extensions import db
from banking.services import transfers
from tests.support.admin import admin_client, confirm_action
from tests.support.builders import make_customer
from tests.support.dual_control import adjust
from tests.support.ledger import hold
from tests.support.statements import counting_queries

PAGES = [
    "/admin/",
    "/admin/journal",
    "/admin/reviews",
    "/admin/accounts",
    "/admin/audit",
    "/admin/pending",
]



def add_activity(app, client, customers: int) -> None:
    """Each new customer: funded, pays a payee, has a transfer held for review, an admin
    freezes their account (audit rows naming accounts and users) and asks for a large
    adjustment of it (a request for a second admin)."""
    payee = make_customer(app, f"Payee {uuid4().hex[:4]}")
    for index in range(customers):
        customer = make_customer(app, f"Customer {index} {uuid4().hex[:4]}", balance="50.00")
        with app.test_request_context():
            transfers.make_transfer(
                customer.id,
                source_id=customer.account_id,
                destination_number=payee.account_number,
                amount=1_00,
                memo="",
                key=str(uuid4()),
            )
            db.session.remove()
        hold(app, customer, payee.account_id, 2_00)
        confirm_action(client, f"/admin/accounts/{customer.account_id}/freeze", {"reason": "x"})
        confirm_action(client, f"/admin/users/{customer.id}/lock", {"reason": "x"})
        # Above the dual-control threshold: a request waiting for a second admin.
        adjust(client, customer.account_id, "5000.00")


def page_queries(app, client, path: str) -> int:
    client.get(path)  # warm: the signed-in user's snapshot is cached after the first page
    with counting_queries(app) as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements)


@pytest.mark.parametrize("path", PAGES)
def test_admin_list_queries_do_not_grow_with_rows(app, client, path):
    admin_client(app, client)
    add_activity(app, client, 2)
    few = page_queries(app, client, path)
    add_activity(app, client, 6)
    many = page_queries(app, client, path)
    assert many == few, f"{path}: {few} statements with few rows, {many} with more"
    assert few <= 6, f"{path}: {few} statements"
