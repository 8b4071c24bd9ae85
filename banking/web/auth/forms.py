"""Forms of the auth blueprint. Field rules here; rules needing the database in services."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

NAME_MAX = 120
EMAIL_MAX = 254
# The password rules (length, deny-list) live in passwords.py so every path shares them;
# this bound only caps the work a huge input could make argon2 do.
PASSWORD_FIELD = [DataRequired(), Length(max=1024)]


class SignupForm(FlaskForm):
    full_name = StringField("Full name", validators=[DataRequired(), Length(max=NAME_MAX)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=EMAIL_MAX)])
    password = PasswordField("Password", validators=PASSWORD_FIELD)
    confirm = PasswordField(
        "Repeat password",
        validators=[DataRequired(), EqualTo("password", message="The passwords don't match.")],
    )


class ConfirmEmailForm(FlaskForm):
    """Just the CSRF token: the emailed link opens a page, its button does the change.

    A GET never changes anything, so a mail scanner or link preview that fetches the
    link can't spend it before the owner has seen the page.
    """


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=EMAIL_MAX)])
    password = PasswordField("Password", validators=PASSWORD_FIELD)
    remember = BooleanField("Keep me signed in on this device")
    next = HiddenField()


class SecondFactorForm(FlaskForm):
    code = StringField(
        "Authentication code or recovery code", validators=[DataRequired(), Length(max=32)]
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=EMAIL_MAX)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=PASSWORD_FIELD)
    confirm = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("password", message="The passwords don't match.")],
    )


class NameForm(FlaskForm):
    full_name = StringField("Full name", validators=[DataRequired(), Length(max=NAME_MAX)])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=PASSWORD_FIELD)
    new_password = PasswordField("New password", validators=PASSWORD_FIELD)
    confirm = PasswordField(
        "Repeat new password",
        validators=[
            DataRequired(),
            EqualTo("new_password", message="The passwords don't match."),
        ],
    )


class EnableTwoFactorForm(FlaskForm):
    password = PasswordField("Current password", validators=PASSWORD_FIELD)
    code = StringField("6-digit code from your app", validators=[DataRequired(), Length(max=16)])


class DisableTwoFactorForm(FlaskForm):
    password = PasswordField("Current password", validators=PASSWORD_FIELD)
    code = StringField(
        "Authentication code or recovery code", validators=[DataRequired(), Length(max=32)]
    )


class NotificationEmailsForm(FlaskForm):
    """CSRF only: the per-kind checkboxes are read from the request (their set comes from
    the notification catalogue, not from fixed fields)."""
