"""Transfer views: between own accounts, to someone else, confirm, and the result page.

Entry form -> preview (the ledger's rule book, nothing moves) -> confirm page carrying the
idempotency key -> `make_transfer`. A refusal at confirm goes back to the entry form,
filled in as it was, with the reason; so does "Edit" on the confirm page (same key, so
an edit after a send that did go through is still caught as a replay or a conflict).

The pay form can start filled: `?payee=` picks a saved payee (and the account that last
paid it), `?again=` copies a transfer the customer sent before. Neither ever sends: the
customer still reads the confirm page and presses Send.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from banking.core.ledger import IdempotencyConflict, LedgerError
from banking.core.models import Payee, TransactionStatus
from banking.core.money import InvalidAmount, format_money, format_plain, parse_amount
from banking.services import customer_queries
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
    MEMO_MAX,
    ConfirmTransferForm,
    OwnTransferForm,
    PayTransferForm,
    coerce_id,
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
        _prefill_pay(form)
    if form.validate_on_submit():
        number = form.account_number.data or ""
        payee = None
        if form.payee.data is not None:
            payee = queries.get_own_payee_or_404(form.payee.data)
            number = payee.account.number
        return _preview("pay", form, destination_number=number, payee=payee)
    return _transfer_page("pay", form)


def _prefill_pay(form: PayTransferForm) -> None:
    """`?payee=<id>` or `?again=<transaction id>`: the form filled, never sent.

    Only the customer's own payees (already loaded for the select) and transfers they sent
    to someone else count; any other id leaves the form empty, exactly as a made-up one
    does, so a link never tells whether someone else's id exists.
    """
    payees = {p.id: p for p in form.own_payees}
    again = request.args.get("again", type=int)
    txn = customer_queries.repeatable_transfer(current_user.id, again) if again else None
    if txn is not None:
        destination = txn.destination_account
        payee = next((p for p in payees.values() if p.account_id == destination.id), None)
        form.payee.data = payee.id if payee else None
        form.account_number.data = "" if payee else destination.number
        form.amount.data = format_plain(txn.amount)
        form.memo.data = txn.memo or ""
        _choose_source(form, txn.source_account_id)
        return
    payee = payees.get(request.args.get("payee", type=int) or 0)
    if payee is None:
        return
    form.payee.data = payee.id
    if form.from_account.data is None:  # an explicit ?from= wins
        _choose_source(form, customer_queries.last_source_for(current_user.id, payee.account_id))


def _choose_source(form, account_id: int | None) -> None:
    """Preselect `account_id` as "From" if it is one the customer can still send from."""
    usable = {choice.value for choice in form.from_account.choices}
    if account_id is not None and str(account_id) in usable:
        form.from_account.data = account_id


def _entry_form(form_class: type[T]) -> T:
    """An entry form offering the customer's accounts; `?from=` picks the source on GET."""
    form = form_class()
    _account_choices(form)
    if request.method == "GET":
        form.from_account.data = request.args.get("from", type=int)
    return form


def _preview(
    flow: str, form: OwnTransferForm | PayTransferForm, *, payee: Payee | None = None, **destination
):
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
    return _confirm_page(flow, preview, form.idempotency_key.data, payee)


@bp.post("/transfers/confirm")
@customer_required
def transfer_confirm():
    fields = _plainly_valid_confirm()
    form = None
    if fields is None:  # anything else: the form decides, and words the refusal
        form = _posted_confirm_form()
        if not form.validate_on_submit() or form.from_account_id is None:
            return _retry_page(_posted_flow(), form, INVALID_CONFIRM)
        fields = ConfirmedFields(
            source_id=form.from_account_id,
            to_number=form.to_number.data,
            amount=form.amount_minor,
            memo=form.memo.data or "",
            key=form.idempotency_key.data,
        )
    try:
        result = make_transfer(
            current_user.id,
            source_id=fields.source_id,
            destination_number=fields.to_number,
            amount=fields.amount,
            memo=fields.memo,
            key=fields.key,
        )
    except IdempotencyConflict as exc:
        form = form or _posted_confirm_form()  # read only, to fill the entry form again
        return _retry_page(_posted_flow(), form, exc.message, fresh_key=True)
    except LedgerError as exc:
        form = form or _posted_confirm_form()
        return _retry_page(_posted_flow(), form, exc.message)
    if result.replayed:
        flash("This transfer was already submitted; nothing was sent twice.", "info")
    return redirect(url_for("accounts.transfer_result", transaction_id=result.transaction_id))


@dataclass(frozen=True, slots=True)
class ConfirmedFields:
    """What `make_transfer` needs from a valid confirm POST."""

    source_id: int
    to_number: str
    amount: int  # minor units
    memo: str
    key: str


def _plainly_valid_confirm() -> ConfirmedFields | None:
    """The confirm page's fields read straight from the POST, when they plainly pass
    every check of `ConfirmTransferForm` (and the view's own `from_account_id`); else None.

    A confirm POST is the page's hidden fields sent back unchanged, so nearly every one is
    valid; building and validating the WTForms form for it cost ~10 % of the request's
    web-side CPU. The checks here are the form's, never looser (a value one of them does
    not plainly accept goes through the form, which decides): required fields present
    and not blank, the amount parsed by the same `parse_amount`, the memo within
    MEMO_MAX, the source a plain id, and the app-wide CSRF check passed (`g.csrf_valid`).
    tests/web/accounts/test_transfer_confirm_post.py holds the two to the same answers.
    """
    if not g.get("csrf_valid", False):
        return None
    posted = request.form
    flow, key = posted.get("flow"), posted.get("idempotency_key")
    to_number, amount_text = posted.get("to_number"), posted.get("amount")
    memo = posted.get("memo")
    if not (flow and flow.strip() and key and key.strip() and to_number and to_number.strip()):
        return None
    if memo is not None and len(memo) > MEMO_MAX:
        return None
    source_id = coerce_id(posted.get("from_account"))
    if source_id is None or not amount_text:
        return None
    try:
        amount = parse_amount(amount_text)
    except InvalidAmount:
        return None
    return ConfirmedFields(source_id, to_number, amount, memo or "", key)


def _posted_flow() -> str:
    """The flow the confirm page named (what `ConfirmTransferForm.flow` reads), or "pay"."""
    flow = request.form.get("flow")
    return flow if flow in ("own", "pay") else "pay"


@bp.post("/transfers/edit")
@customer_required
def transfer_edit():
    """The confirm page's "Edit": back to the entry form, filled in with what it showed.

    A POST from the confirm form itself (its CSRF token and hidden fields), so the details
    never travel in a URL and the same idempotency key goes back into the form.
    """
    form = _posted_confirm_form()
    flow = form.flow.data if form.flow.data in ("own", "pay") else "pay"
    if not form.validate_on_submit() or form.from_account_id is None:
        return _retry_page(flow, form, INVALID_CONFIRM)
    return _refilled_page(flow, form)


def _posted_confirm_form() -> ConfirmTransferForm:
    """The confirm page's fields as posted, for reading (this form is never drawn again).

    Flask-WTF's app-wide `CSRFProtect` checked this POST's token before the view ran and
    marked the request (`g.csrf_valid`; a bad token is a 400 before any view). The form's
    own CSRF field would only sign a fresh token for a page a redirect never shows: ~40 %
    of the form's CPU. Unmarked (the app-wide check switched off), the form checks itself.
    """
    if g.get("csrf_valid", False):
        return ConfirmTransferForm(meta={"csrf": False})
    return ConfirmTransferForm()


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
    locale = current_app.config.get("BABEL_LOCALE", "en_US")
    # "From" says what each account can spend now (its balance less money on hold), so
    # the customer picks the right one without a trip to the dashboard. The word
    # "available" is in the field's hint: in the option it pushed the amount out of a
    # closed select at 360 px.
    form.from_account.choices = [SelectChoice("", "Choose an account")] + [
        SelectChoice(
            str(a.id),
            f"{a.display_name} {a.masked_number} · "
            f"{format_money(a.available_balance, a.currency, locale)}",
        )
        for a in accounts
    ]
    if hasattr(form, "to_account"):
        form.to_account.choices = [SelectChoice("", "Choose an account")] + [
            SelectChoice(str(a.id), f"{a.display_name} {a.masked_number}") for a in accounts
        ]
    if hasattr(form, "payee"):
        form.own_payees = queries.own_payees(current_user.id)
        form.payee.choices = [SelectChoice("", "None: I'll enter a number")] + [
            SelectChoice(str(p.id), f"{p.nickname} {p.account.masked_number}")
            for p in form.own_payees
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


def _confirm_page(flow: str, preview, key: str, payee: Payee | None = None):
    form = ConfirmTransferForm(
        formdata=None,
        data={
            "flow": flow,
            "from_account": str(preview.source_id),
            "to_number": preview.destination_number,
            "amount": format_plain(preview.amount),
            "memo": preview.memo,
            "idempotency_key": key,
            "payee": str(payee.id) if payee else "",
        },
    )
    # Whom the money goes to, in the words the customer knows them by. A saved payee is
    # named by the nickname the customer chose. A typed number shows only the owner's
    # masked name ("J*** S***"): the full name of whoever holds any number someone types
    # would let anyone look up who banks here (account enumeration).
    recipient = payee.nickname if payee is not None else preview.recipient_name
    return render_template(
        "accounts/transfer_confirm.html",
        flow=flow,
        preview=preview,
        form=form,
        recipient=recipient,
        saved_payee=payee is not None,
    )


INVALID_CONFIRM = "Those transfer details were not valid. Please start again."


def _retry_page(flow: str, confirm, message: str, *, fresh_key: bool = False):
    """Back to the entry form, filled in as it was sent, with the reason nothing moved."""
    return _refilled_page(flow, confirm, message, fresh_key=fresh_key)


def _refilled_page(flow: str, confirm, message: str | None = None, *, fresh_key: bool = False):
    """The entry form filled in from the confirm page's fields (an edit, or a refusal)."""
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
        number = confirm.to_number.data or ""
        # The payee comes back only if it is still this customer's and still that account.
        payee = next((p for p in form.own_payees if p.id == confirm.payee_id), None)
        if payee is not None and payee.account.number == number:
            form.payee.data = payee.id
        else:
            form.account_number.data = number
    if message is None:
        return _transfer_page(flow, form, status=200)
    form.form_errors.append(message)
    return _transfer_page(flow, form, status=400)
