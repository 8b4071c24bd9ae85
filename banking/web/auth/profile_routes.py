"""The signed-in customer's own settings: name, password, two-factor, recent sign-ins.

Every form here that asks for the current password (or a code) has its service check
it through `banking.services.reauth` and is rate-limited per user
(`per_user(reauth_limit)`): failures count toward the sign-in lockout, and the
threshold signs the user out everywhere. The services commit; the views only render.
"""

from __future__ import annotations

import time

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from banking.core.models import User
from banking.services import auth as services
from banking.services import notifications, outgoing_mail, two_factor
from banking.services import profile as settings
from banking.services.reauth import LOCKED, ReauthFailed
from banking.web import sessions
from banking.web.auth import bp
from banking.web.auth.forms import (
    ChangePasswordForm,
    DisableTwoFactorForm,
    EnableTwoFactorForm,
    NameForm,
    NotificationEmailsForm,
)
from banking.web.auth.throttling import per_user, reauth_limit
from banking.web.guards import must_keep_two_factor


def _render_profile(name_form=None, password_form=None, status: int = 200):
    user = sessions.current_user_row()
    return render_template(
        "auth/profile.html",
        name_form=name_form or NameForm(formdata=None, full_name=user.full_name),
        password_form=password_form or ChangePasswordForm(formdata=None),
        history=settings.sign_in_history(user),
        recovery_left=settings.remaining_recovery_codes(user),
        must_keep_two_factor=must_keep_two_factor(user),
        email_choices=notifications.email_choices(user.id),
        choices_form=NotificationEmailsForm(formdata=None),
    ), status


@bp.get("/profile")
@login_required
def profile():
    return _render_profile()


@bp.post("/profile/notifications")
@login_required
def notification_emails():
    """Per-kind email on/off. The page lists its kinds (`kinds`) and a checkbox each; an
    unticked box is "off". Security kinds are not among them: asking to turn one off is
    refused by the service (a crafted form), never stored."""
    form = NotificationEmailsForm()
    if not form.validate_on_submit():
        abort(400)
    wanted = {
        kind: request.form.get(f"email_{kind}") == "on"
        for kind in request.form.getlist("kinds")[:20]
    }
    try:
        notifications.set_email_choices(current_user.id, wanted)
    except notifications.PreferenceRefused as exc:
        flash(exc.message, "error")
        return _render_profile(status=400)
    flash("Your email choices are saved.", "success")
    return redirect(url_for("auth.profile") + "#notification-emails")


@bp.post("/profile/name")
@login_required
def change_name():
    form = NameForm()
    if not form.validate_on_submit():
        return _render_profile(name_form=form, status=400)
    settings.change_name(sessions.current_user_row(), form.full_name.data)
    flash("Your name was updated.", "success")
    return redirect(url_for("auth.profile"))


@bp.post("/profile/password")
@per_user(reauth_limit)
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = sessions.current_user_row()
        try:
            settings.change_password(user, form.current_password.data, form.new_password.data)
        except ReauthFailed as exc:
            if exc.signed_out:
                return _signed_out()
            form.current_password.errors.append(exc.message)
        except services.PasswordRejected as exc:
            form.new_password.errors.extend(exc.problems)
        else:
            sessions.refresh_session_user(user)
            # Committed; the notice is queued, so a mail outage delays it (the worker
            # retries) instead of turning a done change into an error page.
            outgoing_mail.queue_user_email(outgoing_mail.PASSWORD_CHANGED, user)
            flash("Your password was changed. Other devices have been signed out.", "success")
            return redirect(url_for("auth.profile"))
    return _render_profile(password_form=form, status=400)


def _signed_out() -> Response:
    """This re-check locked the account (the service already rotated the token): end
    this session and show the lockout on the sign-in page, as sign-in would."""
    sessions.end_session()
    flash(LOCKED, "error")
    return redirect(url_for("auth.login"))


# The set-up secret lives in the signed session cookie until a code confirms it; it is
# never stored on the account before then. A new one is made on every GET, and the POST
# only ever confirms the one in *its own* session, never one from the form. A session
# cookie is signed, not encrypted, so whoever holds a copy can read what is in it; but a
# copy holder who opens this page gets a different secret in their own (now diverged)
# cookie, cannot confirm it without the password, and cannot make the victim enrol it:
# the victim's page makes the victim's own. Turning two-factor on or off then rotates
# the session token, so every copy of the cookie dies.
SETUP_SECRET = "2fa_setup_secret"  # noqa: S105 - a session key name
SETUP_AT = "2fa_setup_at"
SETUP_SECONDS = 900  # scan and confirm within 15 minutes, or start again


def _pending_setup_secret() -> str | None:
    secret = session.get(SETUP_SECRET)
    if not secret or time.time() - session.get(SETUP_AT, 0) > SETUP_SECONDS:
        return None
    return secret


def _new_setup_secret() -> str:
    secret = two_factor.new_secret()
    session[SETUP_SECRET] = secret
    session[SETUP_AT] = int(time.time())
    return secret


def _setup_page(user: User, form: EnableTwoFactorForm, secret: str, status: int = 200):
    uri = two_factor.provisioning_uri(user, secret)
    return render_template(
        "auth/two_factor_setup.html",
        form=form,
        secret=secret,
        qr_code=two_factor.qr_code_data_uri(uri),
    ), status


@bp.route("/two-factor/setup", methods=["GET", "POST"])
@per_user(reauth_limit)
@login_required
def two_factor_setup():
    user = sessions.current_user_row()
    if user.totp_enabled:
        flash("Two-factor authentication is already on.", "info")
        return redirect(url_for("auth.profile"))
    form = EnableTwoFactorForm()
    secret = _pending_setup_secret() if form.is_submitted() else None
    if secret is None:
        if form.is_submitted():
            form.form_errors.append("That set-up expired. Scan this new code and try again.")
        return _setup_page(user, form, _new_setup_secret())
    if not form.validate_on_submit():
        return _setup_page(user, form, secret)
    try:
        codes = settings.enable_two_factor(
            user, password=form.password.data, secret=secret, code=form.code.data
        )
    except ReauthFailed as exc:
        if exc.signed_out:
            return _signed_out()
        form.password.errors.append(exc.message)
        return _setup_page(user, form, secret)
    except settings.TwoFactorCodeInvalid as exc:
        form.code.errors.append(exc.message)
        return _setup_page(user, form, secret)
    # The token rotated (every other copy of this session is signed out): keep this one
    # under the new token. A new session also drops the pending secret.
    sessions.refresh_session_user(user)
    return render_template("auth/recovery_codes.html", codes=codes)


@bp.route("/two-factor/disable", methods=["GET", "POST"])
@per_user(reauth_limit)
@login_required
def two_factor_disable():
    user = sessions.current_user_row()
    if not user.totp_enabled:
        return redirect(url_for("auth.profile"))
    if must_keep_two_factor(user):
        abort(403)
    form = DisableTwoFactorForm()
    if form.validate_on_submit():
        try:
            settings.disable_two_factor(user, password=form.password.data, code=form.code.data)
        except ReauthFailed as exc:
            if exc.signed_out:
                return _signed_out()
            form.form_errors.append(exc.message)
        else:
            sessions.refresh_session_user(user)  # this session stays, under the new token
            flash(
                "Two-factor authentication is off. Other devices have been signed out.", "success"
            )
            return redirect(url_for("auth.profile"))
    return render_template("auth/two_factor_disable.html", form=form)
