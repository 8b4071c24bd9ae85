"""Admin views on dual control: the queue of requests and the approve/reject pages.

Deciding uses the same reason -> confirm flow as every admin change (CSRF, POST only,
a written reason); the rules themselves (not your own request, nothing of yours) live in
`banking.services.admin.dual_control`, so the overview's queue and these pages cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template, url_for
from flask_login import current_user

from banking.core.models import Account, JournalTransaction, PendingAdminAction, User
from banking.services.admin import dual_control, queries
from banking.web.admin import bp
from banking.web.admin.flow import found, reason_action
from banking.web.admin.labels import REQUEST_LABELS, account_with_owner
from banking.web.presenters import money


@dataclass
class PendingRow:
    """One request as the queue shows it: what, on what, how much, who asked."""

    action: PendingAdminAction
    what: str
    target: str
    target_url: str
    amount: str

    @property
    def mine(self) -> bool:
        return self.action.maker_id == int(current_user.id)


def describe_all(actions: list[PendingAdminAction]) -> list[PendingRow]:
    """Every request described, with what they are about loaded up front (no N+1)."""
    loaded = queries.preload_request_targets(actions)  # noqa: F841 - kept alive while described
    return [describe(action) for action in actions]


def describe(action: PendingAdminAction) -> PendingRow:
    what = REQUEST_LABELS.get(action.kind, action.kind)
    if action.kind == "adjustment":
        what = f"{what} ({action.params.get('direction', '')})"
    target, url, currency = f"{action.target_type} {action.target_id}", "", "USD"
    thing = queries.request_target(action)
    if action.target_type == "account":
        account = thing if isinstance(thing, Account) else None
        if account is not None:
            target, currency = account_with_owner(account), account.currency
        url = url_for("admin.account_detail", account_id=action.target_id)
    elif action.target_type == "transaction":
        txn = thing if isinstance(thing, JournalTransaction) else None
        if txn is not None:
            target = f"#{txn.id} ({txn.kind}, {account_with_owner(txn.source_account)} → "
            target += f"{account_with_owner(txn.destination_account)})"
            currency = txn.source_account.currency
        url = url_for("admin.transaction_detail", transaction_id=action.target_id)
    elif action.target_type == "user":
        user = thing if isinstance(thing, User) else None
        if user is not None:
            target = f"{user.full_name} <{user.email}> ({user.role})"
        url = url_for("admin.user_detail", user_id=action.target_id)
    amount = money(action.amount, currency) if action.amount is not None else ""
    return PendingRow(action, what, target, url, amount)


def _summary(row: PendingRow) -> list[tuple[str, str]]:
    action = row.action
    summary = [
        ("Request", f"#{action.id} ({action.status})"),
        ("What", row.what),
        ("On", row.target),
    ]
    if row.amount:
        summary.append(("Amount", row.amount))
    maker = action.maker
    summary += [
        ("Asked by", f"{maker.full_name} <{maker.email}>" if maker else str(action.maker_id)),
        ("Their reason", action.reason),
    ]
    return summary


@bp.get("/pending")
def pending_actions():
    return render_template(
        "admin/pending.html",
        pending=describe_all(dual_control.pending_queue()),
        decided=describe_all(dual_control.recently_decided()),
    )


def _decision(action_id: int, *, approve: bool):
    action = found(dual_control.find_request(action_id))
    row = describe(action)
    service = dual_control.approve if approve else dual_control.reject
    verb = "approved and carried out" if approve else "rejected"
    notice = (
        "Approving carries the request out now, in your name and the requester's."
        if approve
        else "Rejecting closes the request; nothing it asked for happens."
    )
    if row.mine:
        notice = "You asked for this yourself: a different admin must decide it."
    return reason_action(
        title="Approve request" if approve else "Reject request",
        summary=_summary(row),
        back_url=url_for("admin.pending_actions"),
        act=lambda by, reason: service(action_id, actor=by, reason=reason),
        done=lambda _: f"Request #{action_id} was {verb}.",
        danger=approve,
        notice=notice,
    )


@bp.route("/pending/<int:action_id>/approve", methods=["GET", "POST"])
def approve_pending(action_id: int):
    return _decision(action_id, approve=True)


@bp.route("/pending/<int:action_id>/reject", methods=["GET", "POST"])
def reject_pending(action_id: int):
    return _decision(action_id, approve=False)
