"""The statement archive: an account's issued monthly statements, as PDF and CSV.

The documents are produced by the worker on the 1st (`banking.services.statement_archive`);
these views only list and serve them, for the signed-in customer's own account (another
customer's id, or a month with no document, is a 404). Downloads are the bytes as
issued, marked private and never stored by a cache; their filenames carry the account's
last four digits only.
"""

from __future__ import annotations

from flask import Response, abort, render_template
from flask_login import login_required

from banking.core.periods import InvalidMonth, Month
from banking.services import statement_archive
from banking.web.accounts import bp
from banking.web.accounts.queries import get_own_account_or_404

MIMETYPES = {"pdf": statement_archive.PDF_MIMETYPE, "csv": statement_archive.CSV_MIMETYPE}


@bp.get("/accounts/<int:account_id>/statements")
@login_required
def statement_archive_page(account_id: int):
    account = get_own_account_or_404(account_id)
    return render_template(
        "accounts/statement_archive.html",
        account=account,
        documents=statement_archive.archive(account.id),
    )


@bp.get("/accounts/<int:account_id>/statements/<month>.<any(pdf, csv):kind>")
@login_required
def statement_document(account_id: int, month: str, kind: str):
    account = get_own_account_or_404(account_id)
    try:
        period = Month.parse(month)
    except InvalidMonth:
        abort(404)
    content = statement_archive.document_file(account.id, period, kind)
    if content is None:
        abort(404)
    response = Response(content, mimetype=MIMETYPES[kind])
    filename = f"statement-{account.number[-4:]}-{period}.{kind}"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
