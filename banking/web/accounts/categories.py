"""Categories a customer chooses: "always put <merchant> under <category>", undo, remove.

Views parse a form and call one service (`banking.services.categories`), which commits
with its audit row. Every rule is the signed-in customer's own: the user id comes from
the session, never from the request. An `account` in the query string (the history the
customer came from) is looked up as their own account (another customer's is a 404).
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from banking.core import categories as catalogue
from banking.core.names import PARTY_SEPARATOR
from banking.services import categories as service
from banking.web.accounts import bp, queries
from banking.web.guards import customer_required

MERCHANT_MAX = catalogue.MERCHANT_KEY_MAX


class RuleForm(FlaskForm):
    """"Always put <merchant> under [category]" (the merchant travels as a hidden field)."""

    merchant = HiddenField(
        validators=[DataRequired("Choose a merchant."), Length(max=MERCHANT_MAX)]
    )
    account = HiddenField(validators=[Optional()])
    category = SelectField(
        "Category",
        choices=[SelectChoice(c.key, c.label) for c in catalogue.CATEGORIES],
        validators=[InputRequired("Choose a category.")],
    )


class RemoveRuleForm(FlaskForm):
    merchant = HiddenField(validators=[DataRequired(), Length(max=MERCHANT_MAX)])


class UndoForm(FlaskForm):
    """Put a rule back as it was: `previous` category, or no rule when empty."""

    merchant = HiddenField(validators=[DataRequired(), Length(max=MERCHANT_MAX)])
    previous = HiddenField(validators=[Optional()])


def _account_or_none(value: str | None):
    """The customer's own account named by `value` (the history they came from), or None."""
    if not (value or "").isdigit():
        return None
    return queries.get_own_account_or_404(int(value))


def default_category(merchant: str) -> str:
    """What the bank's rules say about a merchant (what the form proposes first)."""
    return catalogue.categorise(
        side=catalogue.EXTERNAL, kind="withdrawal", memo=f"{PARTY_SEPARATOR}{merchant}"
    )


@bp.get("/categories")
@customer_required
def categories():
    merchant = (request.args.get("changed") or "")[:MERCHANT_MAX]
    previous = request.args.get("was") or ""
    undo = None
    if merchant:
        undo = UndoForm(
            formdata=None,
            merchant=merchant,
            previous=previous if catalogue.is_category(previous) else "",
        )
    return render_template(
        "accounts/categories.html",
        rules=service.rules_for(current_user.id),
        remove_form=RemoveRuleForm(formdata=None),
        undo_form=undo,
        account=_account_or_none(request.args.get("account")),
        catalogue=catalogue,
    )


@bp.get("/categories/rule")
@customer_required
def category_rule():
    merchant = " ".join((request.args.get("merchant") or "").split())[:MERCHANT_MAX]
    if not merchant:
        flash("Choose a movement from your history to change its category.", "error")
        return redirect(url_for("accounts.categories"), 303)
    account = _account_or_none(request.args.get("account"))
    current = service.overrides_for(current_user.id).get(catalogue.merchant_key(merchant))
    form = RuleForm(
        formdata=None,
        merchant=merchant,
        account=str(account.id) if account else "",
        category=current or default_category(merchant),
    )
    return _rule_page(form, merchant, account)


def _rule_page(form: RuleForm, merchant: str, account, status: int = 200):
    return render_template(
        "accounts/category_rule.html", form=form, merchant=merchant, account=account
    ), status


@bp.post("/categories/rule")
@customer_required
def save_category_rule():
    form = RuleForm()
    merchant = " ".join((form.merchant.data or "").split())[:MERCHANT_MAX]
    account = _account_or_none(form.account.data)
    if not form.validate_on_submit():
        if not merchant:
            flash("That could not be done. Reload the page and try again.", "error")
            return redirect(url_for("accounts.categories"), 303)
        return _rule_page(form, merchant, account, status=400)
    try:
        change = service.set_rule(current_user.id, merchant, form.category.data)
    except service.RuleRefused as exc:
        form.category.errors = [*form.category.errors, exc.message]
        return _rule_page(form, merchant, account, status=400)
    flash(
        f"{change.merchant} is now under {catalogue.label(change.category)}, "
        "for past and future payments.",
        "success",
    )
    return redirect(
        url_for(
            "accounts.categories",
            changed=change.merchant,
            was=change.previous or "",
            account=account.id if account else None,
        ),
        303,
    )


@bp.post("/categories/rule/remove")
@customer_required
def remove_category_rule():
    form = RemoveRuleForm()
    if not form.validate_on_submit():
        flash("That could not be done. Reload the page and try again.", "error")
    elif service.remove_rule(current_user.id, form.merchant.data):
        flash(f"Your rule for {form.merchant.data} was removed.", "success")
    return redirect(url_for("accounts.categories"), 303)


@bp.post("/categories/undo")
@customer_required
def undo_category_rule():
    form = UndoForm()
    previous = form.previous.data or None
    if not form.validate_on_submit() or (previous and not catalogue.is_category(previous)):
        flash("That could not be done. Reload the page and try again.", "error")
    else:
        service.undo(current_user.id, form.merchant.data, previous)
        flash(f"Undone: {form.merchant.data} is back where it was.", "success")
    return redirect(url_for("accounts.categories"), 303)
