"""A savings account's goal: set, change or remove it from the account's settings page.

Views parse the form and call one service (`banking.services.savings`), which applies
the core's rules and commits, or refuses with a message shown on the form. Another
customer's account is a 404 (looked up through `queries`), like every account page.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import InputRequired, Optional, ValidationError

from banking.core.money import InvalidAmount, format_plain, parse_amount
from banking.services import savings as service
from banking.web.accounts import bp, queries
from banking.web.accounts.forms import ConfirmForm, RenameForm
from banking.web.guards import customer_required


class GoalForm(FlaskForm):
    """Target amount (parsed like every amount: Decimal, two places, no sign) and an
    optional date. Whether the goal is allowed is the core's rule, not the form's."""

    target = StringField(
        "Target amount",
        validators=[InputRequired("Enter the amount you are saving towards.")],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    target_date = DateField("Reach it by (optional)", validators=[Optional()])
    target_minor: int | None = None

    def validate_target(self, field) -> None:
        try:
            self.target_minor = parse_amount(field.data)
        except InvalidAmount as exc:
            raise ValidationError(exc.message) from exc


def goal_form_for(account_id: int) -> GoalForm:
    """The form filled in with the account's current goal (empty without one)."""
    goal = service.goal_for(account_id)
    form = GoalForm()
    if goal is not None:
        form.target.data = format_plain(goal.target_amount)
        form.target_date.data = goal.target_date
    return form


def savings_context(account) -> dict:
    """What the settings page shows of a savings account (nothing for a checking one)."""
    if account.kind != "savings":
        return {}
    return {
        "goal": service.goal_for(account.id),
        "rate": service.rules.rate_percent(service.annual_rate_bp()),
        "interest_this_year": service.interest_this_year(account.id),
        "this_year": service.today().year,
    }


@bp.post("/accounts/<int:account_id>/goal")
@customer_required
def set_goal(account_id: int):
    account = queries.get_own_account_or_404(account_id)
    form = GoalForm()
    if form.validate_on_submit() and form.target_minor is not None:
        try:
            service.set_goal(
                account,
                current_user.id,
                target_amount=form.target_minor,
                target_date=form.target_date.data,
            )
        except service.GoalRefused as exc:
            if exc.field is None:  # about the account (not savings, not active): no field
                return settings_page(account, goal_form=form, goal_error=exc.message, status=400)
            target = form.target_date if exc.field == "target_date" else form.target
            target.errors = [*target.errors, exc.message]
        else:
            flash("Your savings goal is saved.", "success")
            return redirect(url_for("accounts.account_settings", account_id=account.id), 303)
    return settings_page(account, goal_form=form, status=400)


@bp.post("/accounts/<int:account_id>/goal/remove")
@customer_required
def remove_goal(account_id: int):
    account = queries.get_own_account_or_404(account_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash("That could not be done. Reload the page and try again.", "error")
    elif service.remove_goal(account, current_user.id):
        flash("The savings goal was removed.", "success")
    return redirect(url_for("accounts.account_settings", account_id=account.id), 303)


def settings_page(
    account,
    *,
    rename_form: RenameForm | None = None,
    close_form: ConfirmForm | None = None,
    goal_form: GoalForm | None = None,
    goal_error: str = "",
    status: int = 200,
):
    """The account's settings page (nickname, goal for savings, closing), with the forms
    given (a failed one keeps its errors) and fresh ones for the rest."""
    return render_template(
        "accounts/settings.html",
        account=account,
        rename_form=rename_form or RenameForm(nickname=account.nickname),
        close_form=close_form or ConfirmForm(),
        goal_form=goal_form or goal_form_for(account.id),
        remove_goal_form=ConfirmForm(),
        goal_error=goal_error,
        **savings_context(account),
    ), status
