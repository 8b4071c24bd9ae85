"""The customer's money pages: dashboard, account settings and payees.

Transfers live in `transfer_views`, history in `history`, schedules in `schedules`.

Views stay thin: parse the form, call one service (which commits or refuses), render;
they never touch the database session. Every object in a URL is looked up through
`banking.web.accounts.queries`, so another customer's id is a 404.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from banking.core.models import AccountStatus
from banking.services import accounts as services
from banking.services import announcements as announcement_service
from banking.services.accounts import AccountActionRefused
from banking.web.accounts import bp, queries
from banking.web.accounts.dashboard import body_html, cached_summary
from banking.web.accounts.forms import (
    ConfirmForm,
    DismissAnnouncementsForm,
    OpenAccountForm,
    PayeeForm,
    RenameForm,
)
from banking.web.accounts.savings import settings_page
from banking.web.guards import customer_required
from banking.web.page_cache import cached_page
from banking.web.presenters import mask_name


# Dashboard ------------------------------------------------------------------------------
@bp.get("/")
def dashboard():
    if current_user.is_authenticated and current_user.is_admin:
        return redirect(url_for("admin.overview"))
    return _customer_dashboard()


@customer_required
@cached_page
def _customer_dashboard():
    summary = cached_summary(current_user.id)
    announcements = summary.get("announcements") or []  # an entry cached before 0008: none
    return render_template(
        "accounts/dashboard.html",
        body_html=body_html(summary),
        announcements=announcements,
        dismiss_form=DismissAnnouncementsForm(
            until=max(a["decided_at"] for a in announcements).isoformat() if announcements else ""
        ),
    )


@bp.post("/announcements/seen")
@customer_required
def dismiss_announcements():
    """"Got it": the decisions shown are seen; the dashboard stops announcing them."""
    form = DismissAnnouncementsForm()
    until = form.until_value() if form.validate_on_submit() else None
    if until is None:
        flash("That could not be dismissed. Reload the page and try again.", "error")
        return redirect(url_for("accounts.dashboard"), 303)
    announcement_service.mark_seen(current_user.id, until)
    return redirect(url_for("accounts.dashboard"), 303)


# Own accounts ---------------------------------------------------------------------------
@bp.route("/accounts/open", methods=["GET", "POST"])
@customer_required
def open_account():
    form = OpenAccountForm()
    if request.method == "GET":
        form.currency.data = services.default_currency()
    if form.validate_on_submit():
        try:
            account = services.open_customer_account(
                current_user.id,
                kind=form.kind.data,
                currency=form.currency.data,
                nickname=form.nickname.data or "",
            )
        except AccountActionRefused as exc:
            form.form_errors.append(exc.message)
        else:
            flash(f"Your new account {account.display_name} is open.", "success")
            return redirect(url_for("accounts.dashboard"))
    status = 400 if form.errors else 200
    return render_template("accounts/open.html", form=form), status


@bp.get("/accounts/<int:account_id>/settings")
@customer_required
def account_settings(account_id: int):
    account = queries.get_own_account_or_404(account_id)
    return settings_page(account)


@bp.post("/accounts/<int:account_id>/rename")
@customer_required
def rename_account(account_id: int):
    account = queries.get_own_account_or_404(account_id)
    form = RenameForm()
    if not form.validate_on_submit():
        return settings_page(account, rename_form=form, status=400)
    services.rename_account(account, form.nickname.data)
    flash("The account was renamed.", "success")
    return redirect(url_for("accounts.account_settings", account_id=account.id))


@bp.post("/accounts/<int:account_id>/close")
@customer_required
def close_account(account_id: int):
    account = queries.get_own_account_or_404(account_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.close_account(account)
        except AccountActionRefused as exc:
            form.form_errors.append(exc.message)
        else:
            flash(f"{account.display_name} is closed.", "success")
            return redirect(url_for("accounts.dashboard"))
    return settings_page(account, close_form=form, status=400)


# Payees ---------------------------------------------------------------------------------
@bp.route("/payees", methods=["GET", "POST"])
@customer_required
def payees():
    form = PayeeForm()
    if form.validate_on_submit():
        try:
            payee = services.add_payee(
                current_user.id,
                nickname=form.nickname.data,
                account_number=form.account_number.data,
            )
        except AccountActionRefused as exc:
            form.account_number.errors = [*form.account_number.errors, exc.message]
        else:
            flash(f"{payee.nickname} was saved.", "success")
            return redirect(url_for("accounts.payees"))
    status = 400 if form.errors else 200
    saved = [
        {"payee": p, "owner": mask_name(p.account.owner.full_name if p.account.owner else "")}
        for p in queries.own_payees(current_user.id)
    ]
    return render_template("accounts/payees.html", form=form, saved=saved), status


@bp.route("/payees/<int:payee_id>/rename", methods=["GET", "POST"])
@customer_required
def rename_payee(payee_id: int):
    payee = queries.get_own_payee_or_404(payee_id)
    form = RenameForm(obj=payee)
    if form.validate_on_submit():
        services.rename_payee(payee, form.nickname.data)
        flash("The payee was renamed.", "success")
        return redirect(url_for("accounts.payees"))
    status = 400 if form.errors else 200
    return render_template("accounts/payee_rename.html", payee=payee, form=form), status


@bp.route("/payees/<int:payee_id>/delete", methods=["GET", "POST"])
@customer_required
def delete_payee(payee_id: int):
    payee = queries.get_own_payee_or_404(payee_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        nickname = payee.nickname
        services.delete_payee(payee)
        flash(f"{nickname} was deleted.", "success")
        return redirect(url_for("accounts.payees"))
    owner = mask_name(payee.account.owner.full_name if payee.account.owner else "")
    return render_template("accounts/payee_delete.html", payee=payee, owner=owner, form=form)


# Shared with the templates ----------------------------------------------------------------
@bp.app_template_global()
def account_status_text(status: str, reason: str | None = None) -> str:
    """A frozen or closed account explained in plain words (never just a colour)."""
    if status == AccountStatus.FROZEN.value:
        text = "This account is frozen: it can't send or receive money until we unfreeze it."
        if reason:
            text += f" Reason: {reason.rstrip('.')}."
        return text + " Contact us if you have questions."
    if status == AccountStatus.CLOSED.value:
        return "This account is closed."
    return ""
