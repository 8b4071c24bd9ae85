"""Transfer views: between own accounts, to someone else, confirm, and the result page.

Entry form -> preview (the ledger's rule book, nothing moves) -> confirm page carrying the
idempotency key -> `make_transfer`. A refusal at confirm goes back to the entry form,
filled in as it was, with the reason.
"""

from __future__ import annotations

from typing import TypeVar

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from banking.core.ledger import IdempotencyConflict, LedgerError
from banking.core.models import TransactionStatus
from banking.core.money import format_plain
from banking.services.transfers import (
    TransferRefused,
    find_destination,
    make_transfer,
    mask_name,
    preview_transfer,
)
from banking.web.accounts import bp, queries
from banking.web.accounts.dashboard import DECLINED, decline_reason
from banking.web.accounts.forms import (
    ConfirmTransferForm,
    OwnTransferForm,
    PayTransferForm,
    new_idempotency_key,
)
from banking.web.guards import customer_required
from banking.web.page_cache import cached_page

T = TypeVar("T", OwnTransferForm, PayTransferForm)


@bp.route("/transfers/own", methods=["GET", "POST"])
@customer_required
@cached_page
def transfer_own():
    form = _entry_form(OwnTransferForm)
    if form.validate_on_submit():
        return _preview("own", form, own_destination_id=form.to_account.data)
    return _transfer_page("own", form)


@bp.route("/transfers/pay", methods=["GET", "POST"])
@customer_required
@cached_page
def transfer_pay():
    form = _entry_form(PayTransferForm)
    if request.method == "GET":
        form.payee.data = request.args.get("payee", type=int)
    if form.validate_on_submit():
        number = form.account_number.data or ""
        if form.payee.data is not None:
            number = queries.get_own_payee_or_404(form.payee.data).account.number
        return _preview("pay", form, destination_number=number)
    return _transfer_page("pay", form)


def _entry_form(form_class: type[T]) -> T:
    """An entry form offering the customer's accounts; `?from=` picks the source on GET."""
    form = form_class()
    _account_choices(form)
    if request.method == "GET":
        form.from_account.data = request.args.get("from", type=int)
    return form


def _preview(flow: str, form: OwnTransferForm | PayTransferForm, **destination):
    """The confirm page for a transfer the rule book allows, or the form with its refusal."""
    try:
        preview = preview_transfer(
            current_user.id,
            source_id=form.from_account.data,
            amount=form.amount_minor,
            memo=form.memo.data or "",
            **destination,
        )
    except LedgerError as exc:
        _attach_error(form, exc)
        return _transfer_page(flow, form)
    return _confirm_page(flow, preview, form.idempotency_key.data)


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
        declined=txn.status in DECLINED,
        decline_reason=decline_reason(txn) if txn.status in DECLINED else "",
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


def _attach_error(form, exc: LedgerError) -> None:
    """Put a refusal on the field it names (the rule book's `to_account` is the typed
    number on the pay form), or on the whole form."""
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
