"""Scheduled-transfer views (registered on the accounts bp): list, create, pause, resume, cancel.

Views parse and render: creating one is `banking.services.schedules.create_schedule` (the
ledger's rule book decides what may be scheduled), dates and running live in
`banking.core.scheduling`. A schedule is always looked up through
`queries.get_own_schedule_or_404`, so another customer's id is a 404.
Status changes lock the schedule row, so they wait for a runner posting it right now.
"""

from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice

from banking.core.errors import DomainError
from banking.core.models import AccountStatus, ScheduleStatus
from banking.core.periods import local_today
from banking.core.scheduling import describe
from banking.services.customer_queries import NotFound
from banking.services.schedules import (
    OPEN_STATUSES,
    ScheduleRefused,
    ScheduleRequest,
    cancel_schedule,
    create_schedule,
    pause_schedule,
    resume_schedule,
)
from banking.services.upcoming import upcoming
from banking.web.accounts import bp
from banking.web.accounts.history_forms import ScheduleForm
from banking.web.accounts.queries import own_accounts, own_schedules
from banking.web.guards import customer_required


def _today() -> date:
    return local_today(current_app.config.get("DISPLAY_TIMEZONE", "UTC"))


class ActionForm(FlaskForm):
    """The CSRF-only form behind the pause / resume / cancel buttons."""


@bp.get("/schedules")
@customer_required
def schedules():
    rows = own_schedules(current_user.id)
    # The first run of each schedule that would overdraw its account (as on the dashboard).
    warnings: dict[int, dict] = {}
    for run in upcoming(current_user.id, own_accounts(include_closed=True), _today())["warnings"]:
        warnings.setdefault(run["schedule_id"], run)
    # A failed schedule sends nothing until the customer resumes it: listing it under
    # "Upcoming" said the opposite, so it has a section of its own, first.
    failed_rows = [s for s in rows if s.status == ScheduleStatus.FAILED.value]
    open_rows = [s for s in rows if s.status in OPEN_STATUSES and s not in failed_rows]
    closed_rows = [s for s in rows if s.status not in OPEN_STATUSES]
    return render_template(
        "accounts/schedules.html",
        failed_rows=failed_rows,
        open_rows=open_rows,
        closed_rows=closed_rows,
        describe=describe,
        action_form=ActionForm(),
        user_id=current_user.id,
        warnings=warnings,
    )


@bp.route("/schedules/new", methods=["GET", "POST"])
@customer_required
def schedule_new():
    today = _today()
    form = ScheduleForm(today=today)
    accounts = own_accounts()
    usable = [a for a in accounts if a.status == AccountStatus.ACTIVE.value]
    form.from_account.choices = [
        SelectChoice(str(a.id), f"{a.display_name} {a.masked_number}") for a in usable
    ]
    form.to_account.choices = [
        SelectChoice("", "Another customer's account (enter the number)")
    ] + [SelectChoice(str(a.id), f"{a.display_name} {a.masked_number}") for a in usable]
    if form.validate_on_submit():
        try:
            schedule = create_schedule(current_user.id, _schedule_request(form))
        except DomainError as exc:
            _attach_error(form, exc)
        else:
            flash(f"Scheduled: first transfer on {schedule.next_run_on.isoformat()}.", "success")
            return redirect(url_for("accounts.schedules"))
    return render_template("accounts/schedule_new.html", form=form), (400 if form.errors else 200)


def _schedule_request(form: ScheduleForm) -> ScheduleRequest:
    """The validated form as the service's request (select values arrive as text)."""
    return ScheduleRequest(
        from_account_id=_as_int(form.from_account.data),
        to_account_id=_as_int(form.to_account.data),
        account_number=form.account_number.data or "",
        amount=form.amount_minor,
        memo=form.memo.data or "",
        frequency=form.frequency.data,
        start_on=form.start_on.data,
        day_of_month=form.day_of_month_value(),
        end_on=form.end_on.data,
    )


def _attach_error(form: ScheduleForm, exc: DomainError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors.append(exc.message)
    else:
        form.form_errors.append(exc.message)


def _as_int(value: str | None) -> int | None:
    text = value or ""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


def _change(change, message: str, *args, **kwargs):
    """The POST behind a pause / resume / cancel button: one service call, then the list."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        change(current_user.id, *args, **kwargs)
    except NotFound:
        abort(404)
    except ScheduleRefused as refused:
        flash(refused.message, "warning")
    else:
        flash(message, "success")
    return redirect(url_for("accounts.schedules"))


@bp.post("/schedules/<int:schedule_id>/pause")
@customer_required
def schedule_pause(schedule_id: int):
    return _change(
        pause_schedule, "Paused. Nothing will be sent until you resume it.", schedule_id
    )


@bp.post("/schedules/<int:schedule_id>/resume")
@customer_required
def schedule_resume(schedule_id: int):
    return _change(resume_schedule, "Resumed.", schedule_id, today=_today())


@bp.post("/schedules/<int:schedule_id>/cancel")
@customer_required
def schedule_cancel(schedule_id: int):
    return _change(
        cancel_schedule, "Cancelled. No further transfers will be made.", schedule_id
    )
