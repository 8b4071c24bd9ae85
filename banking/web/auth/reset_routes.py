"""Forgotten passwords: ask for a link (same answer whether or not the email exists), use it."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from banking.services import auth as services
from banking.services import outgoing_mail
from banking.services.reset import (
    request_reset,
    user_for_reset_token,
)
from banking.web import sessions
from banking.web.auth import bp
from banking.web.auth.forms import ForgotPasswordForm, ResetPasswordForm
from banking.web.auth.throttling import per_ip_and_account, reset_limit

SENT = (
    "If an account uses that email, we've sent a link to reset the password. "
    "It works once and expires soon."
)


@bp.route("/forgot", methods=["GET", "POST"])
@per_ip_and_account(reset_limit)
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        request_reset(form.email.data)  # the same answer whether or not it sent anything
        flash(SENT, "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@per_ip_and_account(reset_limit)
def reset_password(token: str):
    user = user_for_reset_token(token)
    if user is None:
        return render_template("auth/reset_invalid.html"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(user, form.password.data)
        except services.PasswordRejected as exc:
            form.password.errors.extend(exc.problems)
        else:
            if current_user.is_authenticated:
                sessions.end_session()
            outgoing_mail.queue_user_email(outgoing_mail.PASSWORD_CHANGED, user)
            flash("Your password was reset. Please sign in with the new one.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form, token=token)
