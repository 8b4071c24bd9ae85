"""Access decorators for views: `admin_required` and `customer_required`.

They live together, outside any blueprint, so every blueprint can use them without
importing another one, and the two halves of "who may see this page" read side by side.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, current_app, flash, redirect, url_for
from flask_login import current_user

from banking.extensions import login_manager


def admin_needs_two_factor(user) -> bool:
    """True when config makes two-factor mandatory for admins and this admin has none."""
    return bool(
        current_app.config.get("ADMIN_REQUIRES_2FA") and user.is_admin and not user.totp_enabled
    )


def must_keep_two_factor(user) -> bool:
    """True when policy forbids this user turning two-factor off (an admin under
    ADMIN_REQUIRES_2FA): the profile explains instead of offering a button that 403s."""
    return bool(current_app.config.get("ADMIN_REQUIRES_2FA") and user.is_admin)


def admin_required(view):
    """Anonymous → the sign-in page; a customer → 403; an admin without required 2FA →
    the enrollment page."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_admin:
            abort(403)
        if admin_needs_two_factor(current_user):
            flash("Set up two-factor authentication before using admin pages.", "warning")
            return redirect(url_for("auth.two_factor_setup"))
        return view(*args, **kwargs)

    return wrapped


def customer_required(view):
    """Signed-in customers only: anonymous -> sign-in page, an admin (no accounts) -> 403."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        user = current_user._get_current_object()  # once: each proxy access is a lookup
        if not user.is_authenticated:
            return login_manager.unauthorized()
        if user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
