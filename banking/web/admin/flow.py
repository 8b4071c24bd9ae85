"""The admin action flow shared by every change: reason form -> confirmation -> act.

GET shows the form; a valid POST shows what is about to happen with the reason carried
in hidden fields; only the POST from that confirmation page (`confirmed=yes`) acts.
A refusal (domain error) is shown as a message, never a 500; the service that refused
has already rolled its unit of work back, so the view never touches the session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, flash, redirect, render_template, request
from flask_login import current_user

from banking.core.ledger import LedgerError
from banking.core.models import PendingAdminAction
from banking.core.money import InvalidAmount
from banking.services.actor import Actor
from banking.services.admin.errors import AdminActionRefused
from banking.web.admin.forms import CONFIRMED, ReasonForm

REFUSALS = (AdminActionRefused, LedgerError, InvalidAmount)
T = TypeVar("T")


def actor() -> Actor:
    """The signed-in admin, acting through the web (the audit rows say `via: web`)."""
    return Actor.web(int(current_user.id))


def found(thing: T | None) -> T:
    """What a query found, or the 404 page: an unknown id in a URL is not an error of ours."""
    if thing is None:
        abort(404)
    return thing


def awaiting_approval(action: PendingAdminAction) -> str:
    """The success text when the action was queued for a second admin, not done."""
    return (
        f"Request #{action.id} is waiting for a second admin's approval; "
        "nothing changes until another admin approves it."
    )


def confirm_flow(
    form: ReasonForm,
    *,
    title: str,
    summary: list[tuple[str, str]],
    back_url: str,
    perform: Callable[[], str],
    danger: bool = False,
    notice: str | None = None,
):
    """Run one admin action through the two-step flow; `perform` returns the success text."""
    context = {
        "form": form,
        "title": title,
        "summary": summary,
        "back_url": back_url,
        "danger": danger,
        "notice": notice,
    }
    if request.method != "POST":
        return render_template("admin/action.html", **context)
    if not form.validate():
        form.confirmed.data = ""  # a corrected form must be confirmed again
        return render_template("admin/action.html", **context), 400
    if not form.is_confirmed:
        form.confirmed.data = CONFIRMED
        return render_template("admin/confirm.html", **context)
    try:
        message = perform()
    except REFUSALS as exc:
        flash(exc.message, "error")
        return redirect(back_url)
    flash(message, "success")
    return redirect(back_url)


def reason_action(
    *,
    act: Callable[[Actor, str], Any],
    done: Callable[[Any], str],
    may_queue: bool = False,
    **page: Any,
):
    """The confirm flow for an action that needs only a reason: `act(actor, reason)` runs
    the service and `done(result)` phrases what it did. With `may_queue` the service may
    instead queue the action for a second admin (dual control), and the page says so.
    `page` is what `confirm_flow` shows: title, summary, back_url, danger, notice."""
    form = ReasonForm()

    def perform() -> str:
        result = act(actor(), form.reason.data)
        if may_queue and isinstance(result, PendingAdminAction):
            return awaiting_approval(result)
        return done(result)

    return confirm_flow(form, perform=perform, **page)
