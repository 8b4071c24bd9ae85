"""History, CSV export and monthly statements views (registered on the accounts bp).

Views parse the query string, find the account through `get_own_account_or_404` (another
customer's id is a 404), call one function of `banking.services.history` and render.
Exports stream in chunks (PostgreSQL's COPY on PostgreSQL, a server-side cursor elsewhere).
"""

from __future__ import annotations

from datetime import date

from flask import Response, abort, current_app, render_template, request, stream_with_context
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from banking.core.csv_export import iter_csv
from banking.core.history import Cursor, export_filename
from banking.core.periods import local_today
from banking.core.statements import STATEMENT_HEADER, Month, statement_csv_rows
from banking.services import history as reads
from banking.web.accounts import bp
from banking.web.accounts.history_forms import HistoryFilterForm, InvalidMonth, parse_month
from banking.web.accounts.queries import get_own_account_or_404
from banking.web.page_cache import cached_page

CSV_MIMETYPE = "text/csv"


def _tz() -> str:
    return current_app.config.get("DISPLAY_TIMEZONE", "UTC")


def _today() -> date:
    return local_today(_tz())


def _filter_form() -> HistoryFilterForm:
    # Only the filter fields travel in links; the cursor is handled separately.
    args = MultiDict((k, v) for k, v in request.args.items(multi=True) if k != "cursor")
    return HistoryFilterForm(formdata=args)


def _filter_args(form: HistoryFilterForm) -> dict[str, str]:
    """The current filters as query-string values, for the next-page and export links."""
    return {
        name: field.raw_data[0]
        for name, field in form._fields.items()
        if field.raw_data and field.raw_data[0]
    }


@bp.get("/accounts/<int:account_id>/history")
@login_required
@cached_page
def history(account_id: int):
    account = get_own_account_or_404(account_id)
    form = _filter_form()
    valid = form.validate()
    page = None
    # A cursor that does not parse is not an error worth a page: show page 1.
    cursor = Cursor.decode(request.args.get("cursor"))
    if valid:
        page = reads.history_page(
            account.id, form.filters(), cursor=cursor, tz=_tz(), owner_id=account.owner_id
        )
    return render_template(
        "accounts/history.html",
        account=account,
        form=form,
        page=page,
        filter_args=_filter_args(form),
        first_page=cursor is None,
    ), (200 if valid else 400)


@bp.get("/accounts/<int:account_id>/history/export.csv")
@login_required
def history_export(account_id: int):
    account = get_own_account_or_404(account_id)
    form = _filter_form()
    if not form.validate():
        return render_template(
            "accounts/history.html",
            account=account,
            form=form,
            page=None,
            filter_args={},
            first_page=True,
        ), 400
    filters = form.filters()
    filename = export_filename(account, filters, _today())
    lines = reads.export_csv(account.id, filters, tz=_tz(), owner_id=account.owner_id)
    return _csv_response(lines, filename)


def _csv_response(lines, filename: str) -> Response:
    response = Response(stream_with_context(lines), mimetype=CSV_MIMETYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _statement_month() -> Month:
    try:
        return parse_month(request.args.get("month"), _today())
    except InvalidMonth as exc:
        abort(400, description=str(exc))


@bp.get("/accounts/<int:account_id>/statement")
@login_required
def statement(account_id: int):
    account = get_own_account_or_404(account_id)
    try:
        month = parse_month(request.args.get("month"), _today())
    except InvalidMonth as exc:
        return render_template(
            "accounts/statement.html",
            account=account,
            statement=None,
            month_value=request.args.get("month", "")[:7],
            month_error=str(exc),
            document=False,
        ), 400
    data = reads.statement(account.id, month, tz=_tz(), owner_id=account.owner_id)
    return render_template(
        "accounts/statement.html",
        account=account,
        statement=data,
        month_value=str(month),
        month_error=None,
        previous_month=str(month.previous()),
        next_month=str(month.next()) if month.next().first_day <= _today() else None,
        issued_on=_today(),  # the printed copy's issue date, in the display time zone
        holder_name=current_user.full_name,
        document=False,
    )


@bp.get("/accounts/<int:account_id>/statement.csv")
@login_required
def statement_export(account_id: int):
    account = get_own_account_or_404(account_id)
    month = _statement_month()
    data = reads.statement(account.id, month, tz=_tz(), owner_id=account.owner_id)
    filename = f"statement-{account.number[-4:]}-{month}.csv"
    return _csv_response(iter_csv(STATEMENT_HEADER, statement_csv_rows(data)), filename)
