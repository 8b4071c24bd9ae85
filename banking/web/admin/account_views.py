"""Admin views on accounts: search, detail, freeze/unfreeze, close, and adjustments."""

from __future__ import annotations

from flask import render_template, request, url_for

from banking.core.models import Account, PendingAdminAction
from banking.services.admin import accounts as account_actions
from banking.services.admin import dual_control
from banking.web.admin import bp
from banking.web.admin.flow import actor, awaiting_approval, confirm_flow, found, reason_action
from banking.web.admin.forms import ADJUSTMENT_LABELS, AdjustmentForm, SearchForm
from banking.web.presenters import money


@bp.get("/accounts")
def accounts():
    form = SearchForm(formdata=request.args)
    text = form.q.data if form.validate() else None
    after = request.args.get("after")
    page = account_actions.search_accounts(text, after)
    # The bank's own accounts, apart from the customers' and only with the first page.
    system = [] if after else account_actions.system_accounts(text)
    return render_template("admin/accounts.html", form=form, page=page, system=system, q=text or "")


@bp.get("/accounts/<int:account_id>")
def account_detail(account_id: int):
    detail = found(account_actions.account_detail(account_id))
    return render_template(
        "admin/account_detail.html",
        account=detail.account,
        entries=detail.entries,
        holds=detail.holds,
        close_blockers=detail.close_blockers,
    )


def _account_summary(account: Account) -> list[tuple[str, str]]:
    owner = account.owner
    return [
        ("Account", f"{account.number} ({account.kind})"),
        ("Owner", f"{owner.full_name} <{owner.email}>" if owner else "The bank"),
        ("Status", account.status),
        ("Balance", money(account.balance, account.currency)),
    ]


def _status_action(account_id: int, *, service, done: str, **page):
    """A reason-only change of the account's status; `page`: title, danger, notice."""
    account = found(account_actions.find_account(account_id))
    return reason_action(
        summary=_account_summary(account),
        back_url=url_for("admin.account_detail", account_id=account_id),
        act=lambda by, reason: service(account_id, actor=by, reason=reason),
        done=lambda _: f"Account {account.masked_number} {done}.",
        **page,
    )


@bp.route("/accounts/<int:account_id>/freeze", methods=["GET", "POST"])
def freeze_account(account_id: int):
    return _status_action(
        account_id,
        title="Freeze account",
        service=account_actions.freeze_account,
        done="is frozen",
        danger=True,
        notice="A frozen account can neither send nor receive money.",
    )


@bp.route("/accounts/<int:account_id>/unfreeze", methods=["GET", "POST"])
def unfreeze_account(account_id: int):
    return _status_action(
        account_id,
        title="Unfreeze account",
        service=account_actions.unfreeze_account,
        done="is active again",
    )


@bp.route("/accounts/<int:account_id>/close", methods=["GET", "POST"])
def close_account(account_id: int):
    return _status_action(
        account_id,
        title="Close account",
        service=account_actions.close_account,
        done="is closed",
        danger=True,
        notice="Only an account with a zero balance and no transfers awaiting review can close.",
    )


@bp.route("/accounts/<int:account_id>/adjust", methods=["GET", "POST"])
def adjust_account(account_id: int):
    account = found(account_actions.find_account(account_id))
    form = AdjustmentForm()
    summary = _account_summary(account)
    if request.method == "POST" and form.validate():
        summary += [
            ("Type", ADJUSTMENT_LABELS.get(form.direction.data, "")),
            ("Amount", money(form.amount_minor, account.currency)),
        ]

    def perform() -> str:
        result = dual_control.request_adjustment(
            account_id,
            direction=form.direction.data,
            amount=form.amount_minor,
            key=form.idempotency_key.data,
            actor=actor(),
            reason=form.reason.data,
        )
        if isinstance(result, PendingAdminAction):
            return awaiting_approval(result)
        if result.replayed:
            return f"That adjustment was already recorded as transaction #{result.transaction_id}."
        return f"Adjustment posted as transaction #{result.transaction_id}."

    return confirm_flow(
        form,
        title="Adjust balance",
        summary=summary,
        back_url=url_for("admin.account_detail", account_id=account_id),
        perform=perform,
        notice="Deposits and withdrawals use the external cash account; corrections use "
        "the suspense account. Above the dual-control threshold a second admin must approve "
        "the adjustment before it posts.",
    )
