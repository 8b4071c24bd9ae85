"""Admin views on the journal: filtered list, transaction detail, reversal, review queue."""

from __future__ import annotations

from flask import current_app, render_template, request, url_for

from banking.core.models import JournalTransaction
from banking.services.admin import dual_control, queries
from banking.services.admin import money as money_actions
from banking.web.admin import bp
from banking.web.admin.flow import found, reason_action
from banking.web.admin.forms import JournalFilterForm
from banking.web.admin.labels import account_with_owner, hold_expiry
from banking.web.presenters import money


@bp.get("/journal")
def journal():
    form = JournalFilterForm(formdata=request.args)
    criteria = form.criteria() if form.validate() else {}
    page = queries.list_journal(criteria, request.args.get("after"))
    filters = {k: v for k, v in request.args.items() if k != "after" and v}
    return render_template("admin/journal.html", form=form, page=page, filters=filters)


@bp.get("/journal/<int:transaction_id>")
def transaction_detail(transaction_id: int):
    txn = found(queries.find_transaction(transaction_id))
    return render_template(
        "admin/transaction_detail.html",
        txn=txn,
        reversal=queries.reversal_of(txn.id),
        hold_expires=queries.hold_expiries([txn.id]).get(txn.id),
    )


def _transaction_summary(txn: JournalTransaction) -> list[tuple[str, str]]:
    summary = [
        ("Transaction", f"#{txn.id} ({txn.kind}, {txn.status})"),
        ("From", account_with_owner(txn.source_account)),
        ("To", account_with_owner(txn.destination_account)),
        ("Amount", money(txn.amount, txn.source_account.currency)),
        ("Memo", txn.memo),
    ]
    expires = queries.hold_expiries([txn.id]).get(txn.id)
    if expires is not None:
        when = current_app.jinja_env.filters["when"]  # the pages' date format and timezone
        summary.append(("Hold", f"{hold_expiry(expires)} ({when(expires, 'short')})"))
    return summary


@bp.route("/journal/<int:transaction_id>/reverse", methods=["GET", "POST"])
def reverse_transaction(transaction_id: int):
    txn = found(queries.find_transaction(transaction_id))
    return reason_action(
        title="Reverse transaction",
        summary=_transaction_summary(txn),
        back_url=url_for("admin.transaction_detail", transaction_id=transaction_id),
        act=lambda by, reason: dual_control.request_reversal(
            transaction_id, actor=by, reason=reason
        ),
        done=lambda result: (
            f"Transaction #{transaction_id} was reversed by #{result.transaction_id}."
        ),
        danger=True,
        notice="A mirror-image transaction is posted. A transaction can be reversed once. "
        "Above the dual-control threshold a second admin must approve the reversal first.",
        may_queue=True,
    )


@bp.get("/reviews")
def reviews():
    page = queries.review_queue(request.args.get("after"))
    return render_template("admin/reviews.html", page=page)


def _decision(transaction_id: int, *, approve: bool):
    txn = found(queries.find_transaction(transaction_id))
    service = money_actions.approve if approve else money_actions.reject
    verb = "approved" if approve else "rejected"
    return reason_action(
        title="Approve transfer" if approve else "Reject transfer",
        summary=_transaction_summary(txn),
        back_url=url_for("admin.reviews"),
        act=lambda by, reason: service(transaction_id, actor=by, reason=reason),
        done=lambda _: f"Transfer #{transaction_id} was {verb}.",
        danger=not approve,
        notice=(
            "The held money leaves the sender and reaches the recipient."
            if approve
            else "The held money is released back to the sender. The customer sees your reason."
        ),
    )


@bp.route("/reviews/<int:transaction_id>/approve", methods=["GET", "POST"])
def approve_transfer(transaction_id: int):
    return _decision(transaction_id, approve=True)


@bp.route("/reviews/<int:transaction_id>/reject", methods=["GET", "POST"])
def reject_transfer(transaction_id: int):
    return _decision(transaction_id, approve=False)
