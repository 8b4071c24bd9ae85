"""Admin views on the audit log: filtered list and a streamed, injection-safe CSV export."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, render_template, request, stream_with_context

from banking.core.csv_export import iter_csv
from banking.services.admin import queries
from banking.web.admin import audit_presenter, bp
from banking.web.admin.forms import AuditFilterForm


def _criteria(form: AuditFilterForm) -> dict:
    return form.criteria() if form.validate() else {}


@bp.get("/audit")
def audit_log():
    form = AuditFilterForm(formdata=request.args)
    page = queries.list_audit(_criteria(form), request.args.get("after"))
    filters = {k: v for k, v in request.args.items() if k != "after" and v}
    return render_template(
        "admin/audit.html",
        form=form,
        page=page,
        audit_lines=audit_presenter.lines(page.items, queries.audit_references(page.items)),
        filters=filters,
    )


@bp.get("/audit.csv")
def audit_export():
    form = AuditFilterForm(formdata=request.args)
    rows = queries.iter_audit_rows(_criteria(form))
    body = stream_with_context(iter_csv(queries.AUDIT_CSV_HEADER, rows))
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="audit-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )
