"""Admin forms: a reason on every change, a confirmation step, and the list filters."""

from __future__ import annotations

from uuid import uuid4

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from banking.core.models import TransactionKind, TransactionStatus
from banking.core.money import InvalidAmount, parse_amount
from banking.services.admin.errors import AdminActionRefused
from banking.services.admin.guards import refuse_oversized_adjustment
from banking.web.filter_forms import DateRangeFilterForm

REASON_MAX = 200
CONFIRMED = "yes"


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ReasonForm(FlaskForm):
    """Every admin change: a written reason, then a second submit that confirms it.

    The first POST validates and shows what will happen; only a POST that carries
    `confirmed=yes` (set by the confirmation page) acts.
    """

    reason = TextAreaField(
        "Reason",
        filters=[_strip],
        validators=[
            DataRequired("Write down why you are doing this."),
            Length(max=REASON_MAX, message=f"Keep the reason under {REASON_MAX} characters."),
        ],
    )
    confirmed = HiddenField()

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed.data == CONFIRMED


ADJUSTMENT_LABELS = {
    "deposit": "Deposit (cash in)",
    "withdrawal": "Withdrawal (cash out)",
    "credit": "Correction: credit the account",
    "debit": "Correction: debit the account",
}


class AdjustmentForm(ReasonForm):
    direction = SelectField(
        "Type", choices=[SelectChoice(value, label) for value, label in ADJUSTMENT_LABELS.items()]
    )
    amount = StringField("Amount", filters=[_strip], validators=[DataRequired("Enter an amount.")])
    # One key per form load: a double submit of the confirmation posts once.
    idempotency_key = HiddenField(default=lambda: str(uuid4()))

    def validate_amount(self, field) -> None:
        try:
            self.amount_minor = parse_amount(field.data)
            # Said on the form, before any confirmation; the service refuses it again.
            refuse_oversized_adjustment(self.amount_minor)
        except (InvalidAmount, AdminActionRefused) as exc:
            raise ValidationError(exc.message) from exc

    def validate_idempotency_key(self, field) -> None:
        if not field.data or len(field.data) > 64:
            raise ValidationError("This form expired; reload the page.")


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    q = StringField("Search", filters=[_strip], validators=[Optional(), Length(max=120)])


def _amount_or_none(value: str | None) -> int | None:
    return parse_amount(value) if value else None


class JournalFilterForm(DateRangeFilterForm):
    kind = SelectField(
        "Kind",
        choices=[SelectChoice("", "Any")]
        + [SelectChoice(k.value, k.value.title()) for k in TransactionKind],
        default="",
    )
    status = SelectField(
        "Status",
        choices=[SelectChoice("", "Any")]
        + [SelectChoice(s.value, s.value.title()) for s in TransactionStatus],
        default="",
    )
    amount_min = StringField("Amount from", filters=[_strip], validators=[Optional()])
    amount_max = StringField("Amount to", filters=[_strip], validators=[Optional()])
    account = StringField(
        "Account number", filters=[_strip], validators=[Optional(), Length(max=20)]
    )

    def validate_amount_min(self, field) -> None:
        self._check_amount(field)

    def validate_amount_max(self, field) -> None:
        self._check_amount(field)

    @staticmethod
    def _check_amount(field) -> None:
        try:
            _amount_or_none(field.data)
        except InvalidAmount as exc:
            raise ValidationError(exc.message) from exc

    def criteria(self) -> dict:
        return {
            "date_from": self.date_from.data,
            "date_to": self.date_to.data,
            "kind": self.kind.data or None,
            "status": self.status.data or None,
            "amount_min": _amount_or_none(self.amount_min.data),
            "amount_max": _amount_or_none(self.amount_max.data),
            "account": self.account.data or None,
        }


class AuditFilterForm(DateRangeFilterForm):
    actor = StringField("Actor email", filters=[_strip], validators=[Optional(), Length(max=254)])
    action = StringField("Action", filters=[_strip], validators=[Optional(), Length(max=64)])
    target_type = StringField(
        "Target type", filters=[_strip], validators=[Optional(), Length(max=32)]
    )
    target_id = StringField("Target id", filters=[_strip], validators=[Optional(), Length(max=64)])

    def criteria(self) -> dict:
        return {
            "actor": self.actor.data or None,
            "action": self.action.data or None,
            "target_type": self.target_type.data or None,
            "target_id": self.target_id.data or None,
            "date_from": self.date_from.data,
            "date_to": self.date_to.data,
        }
