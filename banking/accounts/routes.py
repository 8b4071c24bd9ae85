"""The customer's money pages: dashboard, account settings, transfers and payees.

Views stay thin: parse the form, call one service, render. Every object in a URL is
looked up through `banking.accounts.queries`, so another customer's id is a 404.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from banking.accounts import bp, queries, services
from banking.accounts.charts import chart_summary, render_chart
from banking.accounts.dashboard import cached_summary
from banking.accounts.forms import (
    ConfirmForm,
    ConfirmTransferForm,
    OpenAccountForm,
    OwnTransferForm,
    PayeeForm,
    PayTransferForm,
    RenameForm,
    new_idempotency_key,
)
from banking.accounts.services import AccountActionRefused
from banking.accounts.transfers import (
    TransferRefused,
    find_destination,
    make_transfer,
    mask_name,
    preview_transfer,
)
from banking.extensions import db, login_manager
from banking.ledger import IdempotencyConflict, LedgerError
from banking.models import AccountStatus, TransactionStatus
from banking.money import format_plain


def customer_required(view):
    """Signed-in customers only: anonymous -> sign-in page, an admin (no accounts) -> 403."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


# Dashboard ------------------------------------------------------------------------------
@bp.get("/")
def dashboard():
    if current_user.is_authenticated and current_user.is_admin:
        return redirect(url_for("admin.overview"))
    return _customer_dashboard()


@customer_required
def _customer_dashboard():
    summary = cached_summary(current_user.id)
    locale = current_app.config["BABEL_LOCALE"]
    charts = [
        {
            "currency": currency,
            "svg": render_chart(points, currency, locale, chart_id=f"chart-{currency.lower()}"),
            "summary": chart_summary(points, currency, locale),
            "points": points,
        }
        for currency, points in summary["series"].items()
    ]
    return render_template("accounts/dashboard.html", summary=summary, charts=charts)


# Own accounts ---------------------------------------------------------------------------
@bp.route("/accounts/open", methods=["GET", "POST"])
@customer_required
def open_account():
    form = OpenAccountForm()
    if request.method == "GET":
        form.currency.data = current_app.config["DEFAULT_CURRENCY"]
    if form.validate_on_submit():
        try:
            account = services.open_customer_account(
                db.session,
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
    return _settings_page(account, RenameForm(nickname=account.nickname), ConfirmForm())


@bp.post("/accounts/<int:account_id>/rename")
@customer_required
def rename_account(account_id: int):
    account = queries.get_own_account_or_404(account_id)
    form = RenameForm()
    if not form.validate_on_submit():
        return _settings_page(account, form, ConfirmForm(), status=400)
    services.rename_account(db.session, account, form.nickname.data)
    flash("The account was renamed.", "success")
    return redirect(url_for("accounts.account_settings", account_id=account.id))


@bp.post("/accounts/<int:account_id>/close")
@customer_required
def close_account(account_id: int):
    account = queries.get_own_account_or_404(account_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.close_account(db.session, account)
        except AccountActionRefused as exc:
            form.form_errors.append(exc.message)
        else:
            flash(f"{account.display_name} is closed.", "success")
            return redirect(url_for("accounts.dashboard"))
    return _settings_page(account, RenameForm(nickname=account.nickname), form, status=400)


def _settings_page(account, rename_form, close_form, status: int = 200):
    return render_template(
        "accounts/settings.html", account=account, rename_form=rename_form, close_form=close_form
    ), status


# Transfers ------------------------------------------------------------------------------
@bp.route("/transfers/own", methods=["GET", "POST"])
@customer_required
def transfer_own():
    form = OwnTransferForm()
    _account_choices(form)
    if request.method == "GET":
        form.from_account.data = request.args.get("from", type=int)
    if form.validate_on_submit():
        try:
            preview = preview_transfer(
                current_user.id,
                source_id=form.from_account.data,
                own_destination_id=form.to_account.data,
                amount=form.amount_minor,
                memo=form.memo.data or "",
            )
        except TransferRefused as exc:
            _attach_error(form, exc)
        else:
            return _confirm_page("own", preview, form.idempotency_key.data)
    return _transfer_page("own", form)


@bp.route("/transfers/pay", methods=["GET", "POST"])
@customer_required
def transfer_pay():
    form = PayTransferForm()
    _account_choices(form)
    if request.method == "GET":
        form.from_account.data = request.args.get("from", type=int)
        form.payee.data = request.args.get("payee", type=int)
    if form.validate_on_submit():
        number = form.account_number.data or ""
        if form.payee.data is not None:
            number = queries.get_own_payee_or_404(form.payee.data).account.number
        try:
            preview = preview_transfer(
                current_user.id,
                source_id=form.from_account.data,
                destination_number=number,
                amount=form.amount_minor,
                memo=form.memo.data or "",
            )
        except TransferRefused as exc:
            _attach_error(form, exc)
        else:
            return _confirm_page("pay", preview, form.idempotency_key.data)
    return _transfer_page("pay", form)


@bp.post("/transfers/confirm")
@customer_required
def transfer_confirm():
    form = ConfirmTransferForm()
    flow = form.flow.data if form.flow.data in ("own", "pay") else "pay"
    if not form.validate_on_submit() or form.from_account_id is None:
        return _retry_page(flow, form, "Those transfer details were not valid. Please start again.")
    try:
        result = make_transfer(
            current_user.id,
            source_id=form.from_account_id,
            destination_number=form.to_number.data,
            amount=form.amount_minor,
            memo=form.memo.data or "",
            key=form.idempotency_key.data,
        )
    except IdempotencyConflict as exc:
        return _retry_page(flow, form, exc.message, fresh_key=True)
    except LedgerError as exc:
        return _retry_page(flow, form, exc.message)
    if result.replayed:
        flash("This transfer was already submitted; nothing was sent twice.", "info")
    return redirect(url_for("accounts.transfer_result", transaction_id=result.transaction_id))


@bp.get("/transfers/<int:transaction_id>")
@customer_required
def transfer_result(transaction_id: int):
    txn = queries.get_own_transaction_or_404(transaction_id)
    destination = txn.destination_account
    own_destination = destination.owner_id == current_user.id
    recipient = (
        destination.display_name
        if own_destination
        else mask_name(destination.owner.full_name if destination.owner else "")
    )
    return render_template(
        "accounts/transfer_result.html",
        txn=txn,
        source=txn.source_account,
        destination=destination,
        recipient=recipient,
        own_destination=own_destination,
        held=txn.status == TransactionStatus.PENDING.value,
    )


def _account_choices(form) -> None:
    accounts = queries.own_accounts(current_user.id)
    choices = [SelectChoice("", "Choose an account")] + [
        SelectChoice(str(a.id), f"{a.display_name} {a.masked_number}") for a in accounts
    ]
    form.from_account.choices = choices
    if hasattr(form, "to_account"):
        form.to_account.choices = choices
    if hasattr(form, "payee"):
        form.payee.choices = [SelectChoice("", "None: I'll enter a number")] + [
            SelectChoice(str(p.id), f"{p.nickname} {p.account.masked_number}")
            for p in queries.own_payees(current_user.id)
        ]


def _attach_error(form, exc: TransferRefused) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is None and exc.field == "to_account":
        field = getattr(form, "account_number", None)
    if field is not None:
        field.errors = [*field.errors, exc.message]
    else:
        form.form_errors.append(exc.message)


def _transfer_page(flow: str, form, status: int | None = None):
    if status is None:
        status = 400 if form.errors else 200
    return render_template("accounts/transfer_form.html", flow=flow, form=form), status


def _confirm_page(flow: str, preview, key: str):
    form = ConfirmTransferForm(
        formdata=None,
        data={
            "flow": flow,
            "from_account": str(preview.source_id),
            "to_number": preview.destination_number,
            "amount": format_plain(preview.amount),
            "memo": preview.memo,
            "idempotency_key": key,
        },
    )
    return render_template("accounts/transfer_confirm.html", flow=flow, preview=preview, form=form)


def _retry_page(flow: str, confirm, message: str, *, fresh_key: bool = False):
    """Back to the entry form, filled in as it was sent, with the reason nothing moved."""
    form_class = OwnTransferForm if flow == "own" else PayTransferForm
    data = {
        "from_account": confirm.from_account_id,
        "amount": confirm.amount.data or "",
        "memo": (confirm.memo.data or "")[:140],
        "idempotency_key": new_idempotency_key()
        if fresh_key
        else (confirm.idempotency_key.data or new_idempotency_key()),
    }
    form = form_class(formdata=None, data=data)
    _account_choices(form)
    if flow == "own":
        try:
            target = find_destination(confirm.to_number.data or "")
        except TransferRefused:
            target = None
        form.to_account.data = target.id if target and target.owner_id == current_user.id else None
    else:
        form.account_number.data = confirm.to_number.data or ""
    form.form_errors.append(message)
    return _transfer_page(flow, form, status=400)


# Payees ---------------------------------------------------------------------------------
@bp.route("/payees", methods=["GET", "POST"])
@customer_required
def payees():
    form = PayeeForm()
    if form.validate_on_submit():
        try:
            payee = services.add_payee(
                db.session,
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
        services.rename_payee(db.session, payee, form.nickname.data)
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
        services.delete_payee(db.session, payee)
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


@bp.app_template_global()
def has_endpoint(name: str) -> bool:
    """Link to a page only once the view behind it exists (areas land independently)."""
    return name in current_app.view_functions
