"""The inbox: list (newest first, a page at a time), open one (marks it read), mark all read.

Opening is a POST (it changes the row), like every change here, with the form's CSRF
token; its redirect follows the notification's own link, which is a path inside the app
that the core wrote (never anything from the request), checked again as a local path.
Another user's notification is a 404, as everywhere.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from banking.core.notifications import CATALOGUE
from banking.services import notifications
from banking.web.notifications import bp
from banking.web.sessions import is_safe_next


class ActionForm(FlaskForm):
    """The CSRF-only form behind "Open" and "Mark all as read"."""


def _before() -> int | None:
    raw = request.args.get("before", "")
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        abort(404)
    return int(raw)


@bp.get("/notifications")
@login_required
def inbox():
    before = _before()
    page = notifications.inbox(current_user.id, before=before)
    return render_template(
        "notifications/inbox.html",
        page=page,
        first_page=before is None,
        catalogue=CATALOGUE,
        form=ActionForm(),
    )


@bp.post("/notifications/<int:notification_id>/open")
@login_required
def open_notification(notification_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    opened = notifications.open_notification(current_user.id, notification_id)
    if opened is None:
        abort(404)
    target = opened.link if is_safe_next(opened.link) else None
    return redirect(request.script_root + target if target else _inbox_url())


@bp.post("/notifications/read")
@login_required
def mark_all_read():
    if not ActionForm().validate_on_submit():
        abort(400)
    changed = notifications.mark_all_read(current_user.id)
    flash("All notifications are marked as read." if changed else "Nothing was unread.", "success")
    return redirect(_inbox_url())


def _inbox_url() -> str:
    return url_for("notifications.inbox")
