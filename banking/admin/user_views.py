"""Admin views on users: search, detail, lock/unlock, role, password reset, 2FA reset."""

from __future__ import annotations

from flask import render_template, request, url_for

from banking.admin import bp, user_actions
from banking.admin.flow import actor_id, confirm_flow
from banking.admin.forms import ReasonForm, RoleForm, SearchForm
from banking.extensions import db
from banking.models import User


@bp.get("/users")
def users():
    form = SearchForm(formdata=request.args)
    text = form.q.data if form.validate() else None
    page = user_actions.search_users(db.session, text, request.args.get("after"))
    return render_template("admin/users.html", form=form, page=page, q=text or "")


@bp.get("/users/<int:user_id>")
def user_detail(user_id: int):
    user = db.get_or_404(User, user_id)
    return render_template(
        "admin/user_detail.html", detail=user_actions.user_detail(db.session, user)
    )


def _user_summary(user: User) -> list[tuple[str, str]]:
    return [("User", f"{user.full_name} <{user.email}>"), ("Role", user.role)]


@bp.route("/users/<int:user_id>/lock", methods=["GET", "POST"])
def lock_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = ReasonForm()
    return confirm_flow(
        form,
        title="Lock user",
        summary=_user_summary(user),
        back_url=url_for("admin.user_detail", user_id=user_id),
        danger=True,
        notice="The user is signed out everywhere and cannot sign in until unlocked.",
        perform=lambda: _done(
            user_actions.lock_user(
                db.session, user_id, actor_id=actor_id(), reason=form.reason.data
            ),
            "is now locked",
        ),
    )


@bp.route("/users/<int:user_id>/unlock", methods=["GET", "POST"])
def unlock_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = ReasonForm()
    return confirm_flow(
        form,
        title="Unlock user",
        summary=[*_user_summary(user), ("Locked because", user.locked_reason or "")],
        back_url=url_for("admin.user_detail", user_id=user_id),
        perform=lambda: _done(
            user_actions.unlock_user(
                db.session, user_id, actor_id=actor_id(), reason=form.reason.data
            ),
            "is unlocked",
        ),
    )


@bp.route("/users/<int:user_id>/role", methods=["GET", "POST"])
def change_role(user_id: int):
    user = db.get_or_404(User, user_id)
    form = RoleForm()
    if request.method == "GET":
        form.role.data = "customer" if user.is_admin else "admin"
    return confirm_flow(
        form,
        title="Change role",
        summary=_user_summary(user),
        back_url=url_for("admin.user_detail", user_id=user_id),
        danger=True,
        perform=lambda: _done(
            user_actions.set_role(
                db.session, user_id, form.role.data, actor_id=actor_id(), reason=form.reason.data
            ),
            f"is now {form.role.data}",
        ),
    )


@bp.route("/users/<int:user_id>/reset-password", methods=["GET", "POST"])
def reset_password(user_id: int):
    user = db.get_or_404(User, user_id)
    form = ReasonForm()
    return confirm_flow(
        form,
        title="Force a password reset",
        summary=_user_summary(user),
        back_url=url_for("admin.user_detail", user_id=user_id),
        notice="The user is signed out everywhere and emailed a single-use reset link.",
        perform=lambda: _done(
            user_actions.force_password_reset(
                db.session, user_id, actor_id=actor_id(), reason=form.reason.data
            ),
            "was signed out and sent a password reset email",
        ),
    )


@bp.route("/users/<int:user_id>/reset-2fa", methods=["GET", "POST"])
def reset_two_factor(user_id: int):
    user = db.get_or_404(User, user_id)
    form = ReasonForm()
    return confirm_flow(
        form,
        title="Reset two-factor authentication",
        summary=_user_summary(user),
        back_url=url_for("admin.user_detail", user_id=user_id),
        danger=True,
        notice="The authenticator and every recovery code stop working.",
        perform=lambda: _done(
            user_actions.reset_two_factor(
                db.session, user_id, actor_id=actor_id(), reason=form.reason.data
            ),
            "has two-factor authentication reset",
        ),
    )


def _done(user: User, what: str) -> str:
    return f"{user.full_name} {what}."
