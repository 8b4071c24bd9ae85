"""The signed-in customer's own settings: name, password, two-factor, recent sign-ins."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from banking.auth import bp, events, services, sessions, two_factor
from banking.auth.forms import (
    ChangePasswordForm,
    DisableTwoFactorForm,
    EnableTwoFactorForm,
    NameForm,
)
from banking.auth.reset import send_password_changed_email, send_quietly
from banking.extensions import db


def _render_profile(name_form=None, password_form=None, status: int = 200):
    user = current_user._get_current_object()
    return render_template(
        "auth/profile.html",
        name_form=name_form or NameForm(formdata=None, full_name=user.full_name),
        password_form=password_form or ChangePasswordForm(formdata=None),
        history=services.sign_in_history(db.session, user),
        recovery_left=two_factor.remaining_recovery_codes(db.session, user)
        if user.totp_enabled
        else 0,
    ), status


@bp.get("/profile")
@login_required
def profile():
    return _render_profile()


@bp.post("/profile/name")
@login_required
def change_name():
    form = NameForm()
    if not form.validate_on_submit():
        return _render_profile(name_form=form, status=400)
    services.change_name(db.session, current_user, form.full_name.data)
    db.session.commit()
    flash("Your name was updated.", "success")
    return redirect(url_for("auth.profile"))


@bp.post("/profile/password")
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(
                db.session, user, current=form.current_password.data, new=form.new_password.data
            )
        except services.WrongPassword:
            form.current_password.errors.append("Your current password is incorrect.")
        except services.PasswordRejected as exc:
            form.new_password.errors.extend(exc.problems)
        else:
            db.session.commit()
            sessions.refresh_session_user(user)
            # The change is committed: a mail outage must not turn it into an error page
            # that says nothing changed (the notice is logged as not sent).
            send_quietly(send_password_changed_email, user, "password_changed")
            flash("Your password was changed. Other devices have been signed out.", "success")
            return redirect(url_for("auth.profile"))
        db.session.rollback()
    return _render_profile(password_form=form, status=400)


@bp.route("/two-factor/setup", methods=["GET", "POST"])
@login_required
def two_factor_setup():
    user = current_user._get_current_object()
    if user.totp_enabled:
        flash("Two-factor authentication is already on.", "info")
        return redirect(url_for("auth.profile"))
    if not user.totp_secret:
        # Kept unconfirmed (totp_enabled stays False) until a valid code proves the app works.
        user.totp_secret = two_factor.new_secret()
        db.session.commit()
    form = EnableTwoFactorForm()
    if form.validate_on_submit():
        codes = two_factor.enable(db.session, user, user.totp_secret, form.code.data)
        if codes is not None:
            events.record_own(events.TWO_FACTOR_ENROLL, user.id)
            db.session.commit()
            return render_template("auth/recovery_codes.html", codes=codes)
        db.session.rollback()
        form.code.errors.append("That code isn't valid. Check the time on your phone and retry.")
    uri = two_factor.provisioning_uri(user, user.totp_secret)
    return render_template(
        "auth/two_factor_setup.html",
        form=form,
        secret=user.totp_secret,
        qr_code=two_factor.qr_code_data_uri(uri),
    )


@bp.route("/two-factor/disable", methods=["GET", "POST"])
@login_required
def two_factor_disable():
    user = current_user._get_current_object()
    if not user.totp_enabled:
        return redirect(url_for("auth.profile"))
    if user.is_admin and current_app.config.get("ADMIN_REQUIRES_2FA"):
        abort(403)
    form = DisableTwoFactorForm()
    if form.validate_on_submit():
        password_ok = services.verify_current_password(user, form.password.data)
        code_ok = password_ok and two_factor.verify_second_factor(db.session, user, form.code.data)
        if password_ok and code_ok:
            two_factor.disable(db.session, user)
            events.record_own(events.TWO_FACTOR_DISABLE, user.id)
            db.session.commit()
            flash("Two-factor authentication is off.", "success")
            return redirect(url_for("auth.profile"))
        db.session.rollback()
        form.form_errors.append("The password or code is incorrect.")
    return render_template("auth/two_factor_disable.html", form=form)
