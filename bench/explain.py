"""`python -m bench.explain '<json>'`: EXPLAIN (ANALYZE, BUFFERS) of the history queries.

Runs the app's own `history_page` for each case with a listener that records the SQL
it sends, then explains each recorded SELECT with the same parameters, so the plans
in the report are the plans of the real queries, not hand-written look-alikes.
"""

from __future__ import annotations

import json
import sys


def explain_cases(cases: list[dict]) -> list[dict]:
    from flask import request
    from sqlalchemy import event

    from banking.app import create_app
    from banking.core.history import Cursor, history_page
    from banking.extensions import db
    from banking.web.accounts.history_forms import HistoryFilterForm

    app = create_app()
    results = []
    with app.app_context():
        engine = db.engine
        for case in cases:
            captured: list[tuple[str, object]] = []

            def capture(_conn, _cursor, statement, parameters, _context, _many, sink=captured):
                if statement.lstrip().upper().startswith("SELECT"):
                    sink.append((statement, parameters))

            event.listen(engine, "before_cursor_execute", capture)
            try:
                with app.test_request_context("/?" + case.get("query", "")):
                    form = HistoryFilterForm(formdata=request.args)
                    form.validate()
                    history_page(
                        db.session,
                        case["account_id"],
                        form.filters(),
                        cursor=Cursor.decode(case.get("cursor")),
                        tz=app.config.get("DISPLAY_TIMEZONE", "UTC"),
                    )
            finally:
                event.remove(engine, "before_cursor_execute", capture)
            db.session.rollback()
            plans = []
            with engine.connect() as connection:
                for statement, parameters in captured:
                    rows = connection.exec_driver_sql(
                        "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
                    ).all()
                    plans.append({"sql": statement, "plan": "\n".join(r[0] for r in rows)})
            results.append({"name": case["name"], "queries": plans})
    return results


if __name__ == "__main__":
    print("EXPLAIN_JSON " + json.dumps(explain_cases(json.loads(sys.argv[1]))))
