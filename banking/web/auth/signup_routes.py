"""Sign-up that doesn't tell whether an address has an account, and the email link that
finishes it.

Every well-formed sign-up ends on the same "check your email" page with the same
redirect, whatever the address: the mailbox is told the rest (a verification link for a
new address, "someone tried to open an account" for a taken one). Only mistakes that
don't depend on the address (a malformed email, a password that breaks the rules,
mismatched passwords) are shown on the form.

Following the link confirms the address and sends the owner to sign in; it does not
sign in by itself. The link proves access to the mailbox, not knowledge of the
password: a forwarded email, or a link a stranger's sign-up sent to your inbox, must
not be a session.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from banking.services import auth as services
from banking.services.verification import notify_signup, user_for_verify_token
from banking.web.auth import bp
from banking.web.auth.forms import ConfirmEmailForm, SignupForm
from banking.web.auth.throttling import per_ip_and_account, signup_limit

CONFIRMED = "Your email is confirmed and your account is open. Sign in to start using it."


@bp.route("/signup", methods=["GET", "POST"])
@per_ip_and_account(signup_limit)
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.dashboard"))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            outcome = services.register_customer(
                full_name=form.full_name.data,
                email=form.email.data,
                password=form.password.data,
            )
        except services.EmailInvalid:
            form.email.errors.append("Enter a valid email address.")
        except services.PasswordRejected as exc:
            form.password.errors.extend(exc.problems)
        else:
            notify_signup(outcome)
            return redirect(url_for("auth.signup_sent"))
    return render_template("auth/signup.html", form=form)


@bp.get("/signup/check-email")
def signup_sent():
    """The one answer to every sign-up. Static: it names no address and no outcome."""
    return render_template(
        "auth/check_email.html",
        hours=current_app.config["EMAIL_VERIFY_HOURS"],
        dev_mail=current_app.config.get("ENV_NAME") == "development",
    )


@bp.route("/verify/<token>", methods=["GET", "POST"])
@per_ip_and_account(signup_limit)  # one confirmation per sign-up: the same budget
def verify_email(token: str):
    user = user_for_verify_token(token)
    if user is None:
        return render_template("auth/verify_invalid.html"), 400
    form = ConfirmEmailForm()
    if form.validate_on_submit():
        services.confirm_email(user)
        flash(CONFIRMED, "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/verify_email.html", form=form, token=token)
