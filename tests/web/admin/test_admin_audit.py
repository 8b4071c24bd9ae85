"""Admin audit log: filters, keyset pages, and the streamed, injection-safe CSV export."""

from __future__ import annotations

import csv
import io

from banking.extensions import db
from banking.services import audit
from tests.support.admin import admin_client, confirm_action, walk_pages
from tests.support.builders import make_customer


def write_events(app, count: int, *, action: str = "test.event", actor_id=None, **kwargs):
    with app.app_context():
        for index in range(count):
            audit.record(action, actor_id=actor_id, target_type="thing", target_id=index, **kwargs)
        db.session.commit()
        db.session.remove()


def test_audit_log_filters_by_actor_action_and_target(app, client):
    admin = admin_client(app, client)
    customer = make_customer(app, "Grace Hopper")
    confirm_action(client, f"/admin/users/{customer.id}/lock", {"reason": "fraud"})
    write_events(app, 2, action="other.event")

    by_actor = client.get(f"/admin/audit?actor={admin.email.upper()}").get_data(as_text=True)
    assert "admin.user.lock" in by_actor and "other.event" not in by_actor
    by_action = client.get("/admin/audit?action=other.event").get_data(as_text=True)
    assert "other.event" in by_action and "admin.user.lock" not in by_action
    by_target = client.get(f"/admin/audit?target_type=user&target_id={customer.id}")
    assert "admin.user.lock" in by_target.get_data(as_text=True)


def test_audit_log_pages_through_every_event_once(app, client):
    app.config["ADMIN_PAGE_SIZE"] = 4
    admin_client(app, client)
    write_events(app, 10, action="paged.event")
    pages = walk_pages(client, "/admin/audit?action=paged.event")
    assert len(pages) == 3
    for index in range(10):
        assert sum(f"thing #{index}<" in page for page in pages) == 1


def test_csv_export_streams_every_matching_event(app, client):
    admin_client(app, client)
    write_events(app, 3, action="csv.event")
    response = client.get("/admin/audit.csv?action=csv.event")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.is_streamed
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:4] == ["id", "created_at", "actor_email", "action"]
    assert len(rows) == 4 and all(row[3] == "csv.event" for row in rows[1:])


def test_csv_export_neutralizes_spreadsheet_formulas(app, client):
    admin_client(app, client)
    write_events(app, 1, action='=HYPERLINK("http://evil")', details={"note": "+1+1"})
    body = client.get("/admin/audit.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body)))
    (row,) = [r for r in rows if "HYPERLINK" in r[3]]
    assert row[3].startswith("'=")


def test_csv_export_crosses_batch_boundaries(app, client, monkeypatch):
    from banking.services.admin import queries

    monkeypatch.setattr(queries, "CSV_BATCH", 2)
    admin_client(app, client)
    write_events(app, 5, action="batch.event")
    body = client.get("/admin/audit.csv?action=batch.event").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body)))[1:]
    assert sorted(int(row[5]) for row in rows) == [0, 1, 2, 3, 4]
