"""The front door: sign in (password, then code when two-factor is on), sign out.

Sign-up and its email verification live in signup_routes.py."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from banking.services import auth as services
from banking.services import outgoing_mail
from banking.services.auth import LoginStatus
from banking.web import devices, sessions
from banking.web.auth import bp
from banking.web.auth.forms import LoginForm, SecondFactorForm
from banking.web.auth.throttling import login_limit, per_ip_and_account
from banking.web.guards import admin_needs_two_factor
from banking.web.presenters import spoken_duration

INVALID_LOGIN = "The email or password is incorrect."


def locked_out_message() -> str:
    """The lockout, with how long it lasts (the same words whether or not the address
    has an account, so it tells a stranger nothing)."""
    minutes = current_app.config["LOCKOUT_MINUTES"]
    return (
        "Too many failed attempts. If this account exists it is locked for "
        f"{spoken_duration(minutes * 60)}; try again then or reset your password."
    )


DISABLED = "This account has been locked. Please contact us to unlock it."
UNVERIFIED = (
    "Confirm your email address first: we've just sent a new link to it. "
    "Follow the link, then sign in."
)
INVALID_CODE = "That code isn't valid. Check your authenticator app and try again."


def _landing(user, next_url: str | None = None):
    """Where a freshly signed-in user goes: forced 2FA setup, a safe `next`, or home
    (the dashboard for customers, the admin overview for admins)."""
    if admin_needs_two_factor(user):
        flash("Your role requires two-factor authentication. Set it up to continue.", "warning")
        return redirect(url_for("auth.two_factor_setup"))
    home = url_for("admin.overview") if user.is_admin else url_for("accounts.dashboard")
    return redirect(sessions.safe_next(next_url, home))


@bp.route("/login", methods=["GET", "POST"])
@per_ip_and_account(login_limit)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.dashboard"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        outcome = services.sign_in(
            form.email.data, form.password.data, known_device=devices.is_known
        )
        next_url = form.next.data
        if outcome.status is LoginStatus.NEEDS_SECOND_FACTOR:
            sessions.begin_second_factor(
                outcome.user, remember=form.remember.data, next_url=next_url
            )
            return redirect(url_for("auth.second_factor"))
        if outcome.status is LoginStatus.SUCCESS:
            sessions.start_session(outcome.user, remember=form.remember.data)
            devices.remember(outcome.user.id)
            return _landing(outcome.user, next_url)
        if outcome.status is LoginStatus.UNVERIFIED:
            # Only the right password gets here, so this tells nothing to a stranger;
            # a fresh link means an expired or lost one never strands the owner.
            outgoing_mail.queue_user_email(outgoing_mail.EMAIL_VERIFICATION, outcome.user)
        message = {
            LoginStatus.UNVERIFIED: UNVERIFIED,
            LoginStatus.LOCKED_OUT: locked_out_message(),
            LoginStatus.DISABLED: DISABLED,
        }.get(outcome.status, INVALID_LOGIN)
        form.form_errors.append(message)
    return render_template("auth/login.html", form=form)


@bp.route("/two-factor", methods=["GET", "POST"])
@per_ip_and_account(login_limit)
def second_factor():
    user = sessions.pending_user()
    if user is None:
        sessions.clear_pending()
        flash("Please sign in again.", "info")
        return redirect(url_for("auth.login"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        # Committed either way: the sign-in, or the failure count and its audit row.
        outcome = services.sign_in_second_factor(
            user, form.code.data, known_device=devices.is_known
        )
        if outcome.status is LoginStatus.SUCCESS:
            remember = bool(session.get(sessions.PENDING_REMEMBER))
            next_url = session.get(sessions.PENDING_NEXT)
            sessions.start_session(user, remember=remember)
            devices.remember(user.id)
            return _landing(user, next_url)
        if outcome.status is LoginStatus.LOCKED_OUT:
            sessions.clear_pending()
            flash(locked_out_message(), "error")
            return redirect(url_for("auth.login"))
        form.code.errors.append(INVALID_CODE)
    return render_template("auth/second_factor.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    services.sign_out(sessions.current_user_row())  # rotates the token: everywhere
    sessions.end_session()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.login"))
