"""Admin views on users: search, detail, lock/unlock, demote, password reset, 2FA reset."""

from __future__ import annotations

from collections.abc import Callable

from flask import render_template, request, url_for

from banking.core.models import PendingAdminAction, User
from banking.services.admin import queries
from banking.services.admin import users as user_actions
from banking.web.admin import audit_presenter, bp
from banking.web.admin.flow import found, reason_action
from banking.web.admin.forms import SearchForm


@bp.get("/users")
def users():
    form = SearchForm(formdata=request.args)
    text = form.q.data if form.validate() else None
    page = user_actions.search_users(text, request.args.get("after"))
    return render_template("admin/users.html", form=form, page=page, q=text or "")


@bp.get("/users/<int:user_id>")
def user_detail(user_id: int):
    detail = found(user_actions.user_detail(user_id))
    events = detail.audit_events
    return render_template(
        "admin/user_detail.html",
        detail=detail,
        audit_lines=audit_presenter.lines(events, queries.audit_references(events)),
    )


def _user_summary(user: User) -> list[tuple[str, str]]:
    return [("User", f"{user.full_name} <{user.email}>"), ("Role", user.role)]


def _user_action(
    user_id: int,
    *,
    service: Callable[..., User | PendingAdminAction],
    done: str,
    extra_summary: list[tuple[str, str]] | None = None,
    **page,
):
    """Run a reason-only action on a user through the confirm flow (mirrors `_status_action`);
    `page`: title, danger, notice. Acting on another admin may be queued (dual control)."""
    user = found(user_actions.find_user(user_id))
    return reason_action(
        summary=[*_user_summary(user), *(extra_summary or [])],
        back_url=url_for("admin.user_detail", user_id=user_id),
        act=lambda by, reason: service(user_id, actor=by, reason=reason),
        done=lambda changed: f"{changed.full_name} {done}.",
        may_queue=True,
        **page,
    )


@bp.route("/users/<int:user_id>/lock", methods=["GET", "POST"])
def lock_user(user_id: int):
    return _user_action(
        user_id,
        title="Lock user",
        service=user_actions.lock_user,
        done="is now locked",
        danger=True,
        notice="The user is signed out everywhere and cannot sign in until unlocked.",
    )


@bp.route("/users/<int:user_id>/unlock", methods=["GET", "POST"])
def unlock_user(user_id: int):
    user = found(user_actions.find_user(user_id))
    return _user_action(
        user_id,
        title="Unlock user",
        service=user_actions.unlock_user,
        done="is unlocked",
        extra_summary=[("Locked because", user.locked_reason or "")],
    )


@bp.route("/users/<int:user_id>/role", methods=["GET", "POST"])
def change_role(user_id: int):
    """Take the admin role away (the only role change the web offers; see demote_admin)."""
    return _user_action(
        user_id,
        title="Remove admin role",
        service=user_actions.demote_admin,
        done="is now a customer",
        danger=True,
        notice=(
            "The user becomes a customer and is signed out everywhere. Admins are created "
            "only on the server (flask create-admin, flask users promote)."
        ),
    )


@bp.route("/users/<int:user_id>/reset-password", methods=["GET", "POST"])
def reset_password(user_id: int):
    return _user_action(
        user_id,
        title="Force a password reset",
        service=user_actions.force_password_reset,
        done="was signed out and sent a password reset email",
        notice="The user is signed out everywhere and emailed a single-use reset link.",
    )


@bp.route("/users/<int:user_id>/reset-2fa", methods=["GET", "POST"])
def reset_two_factor(user_id: int):
    return _user_action(
        user_id,
        title="Reset two-factor authentication",
        service=user_actions.reset_two_factor,
        done="has two-factor authentication reset",
        danger=True,
        notice="The authenticator and every recovery code stop working.",
    )
