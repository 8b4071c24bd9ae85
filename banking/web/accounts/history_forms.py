"""Forms of the history side: history filters, the statement month, scheduled transfers.

Amounts stay text and go through `banking.core.money.parse_amount`; dates are WTForms date
fields; anything odd becomes a field error, never an exception. The filter and month
forms are GET forms (they change nothing), so they carry no CSRF token.
"""

from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from banking.core.categories import CATEGORIES
from banking.core.history import HistoryFilters
from banking.core.models import Frequency
from banking.core.money import InvalidAmount, parse_amount
from banking.core.scheduling import LAST_DAY, MONTH_DAYS
from banking.core.statements import InvalidMonth, Month
from banking.web.accounts.forms import AmountMixin, amount_field, memo_field
from banking.web.filter_forms import DateRangeFilterForm

TEXT_MAX = 100


def _amount_or_none(text: str | None) -> int | None:
    if not (text or "").strip():
        return None
    return parse_amount(text)


class HistoryFilterForm(DateRangeFilterForm):
    direction = SelectField(
        "Direction",
        choices=[
            SelectChoice("", "Money in and out"),
            SelectChoice("in", "Money in"),
            SelectChoice("out", "Money out"),
            # Held transfers that were not sent (they moved no money: no entry, no CSV row).
            SelectChoice("declined", "Declined transfers"),
        ],
        validators=[Optional()],
    )
    min_amount = StringField(
        "Smallest amount", validators=[Optional()], render_kw={"inputmode": "decimal"}
    )
    max_amount = StringField(
        "Largest amount", validators=[Optional()], render_kw={"inputmode": "decimal"}
    )
    category = SelectField(
        "Category",
        choices=[SelectChoice("", "All categories")]
        + [SelectChoice(c.key, c.label) for c in CATEGORIES],
        validators=[Optional()],
    )
    q = StringField(
        "Memo or counterparty",
        validators=[
            Optional(),
            Length(max=TEXT_MAX, message=f"Use at most {TEXT_MAX} characters."),
        ],
    )

    def validate_min_amount(self, field) -> None:
        _check_amount(field)

    def validate_max_amount(self, field) -> None:
        _check_amount(field)
        low, high = _safe_amount(self.min_amount.data), _safe_amount(field.data)
        if low is not None and high is not None and low > high:
            raise ValidationError("The largest amount must not be below the smallest.")

    def validate_date_to(self, field) -> None:
        if self.date_from.data and field.data and field.data < self.date_from.data:
            raise ValidationError("The end date must not be before the start date.")

    def filters(self) -> HistoryFilters:
        """The validated filters (call after validate() succeeded)."""
        return HistoryFilters(
            date_from=self.date_from.data,
            date_to=self.date_to.data,
            direction=self.direction.data or None,
            min_amount=_amount_or_none(self.min_amount.data),
            max_amount=_amount_or_none(self.max_amount.data),
            text=(self.q.data or "").strip() or None,
            category=self.category.data or None,
        )


def _check_amount(field) -> None:
    try:
        _amount_or_none(field.data)
    except InvalidAmount as exc:
        raise ValidationError(exc.message) from exc


def _safe_amount(text: str | None) -> int | None:
    try:
        return _amount_or_none(text)
    except InvalidAmount:
        return None


def parse_month(text: str | None, default: date) -> Month:
    """The month in the query string, or the month of `default` when none was given."""
    if not (text or "").strip():
        return Month.of(default)
    return Month.parse(text)


FREQUENCY_CHOICES = [
    SelectChoice(Frequency.ONCE.value, "Once"),
    SelectChoice(Frequency.WEEKLY.value, "Every week"),
    SelectChoice(Frequency.MONTHLY.value, "Every month"),
]
DAY_CHOICES = (
    [SelectChoice("", "Same day as the first payment")]
    + [SelectChoice(str(day), f"Day {day}") for day in MONTH_DAYS]
    + [SelectChoice(str(LAST_DAY), "Last day of the month")]
)


class ScheduleForm(AmountMixin, FlaskForm):
    """A scheduled transfer: to one of your accounts, or to any customer's account number."""

    from_account = SelectField("From", coerce=str, validators=[InputRequired("Choose an account.")])
    to_account = SelectField("To one of your accounts", coerce=str, validators=[Optional()])
    account_number = StringField(
        "Or to account number",
        # No Optional(): it would stop the chain before validate_account_number, which
        # is where "one of your accounts or a number" is decided.
        validators=[Length(max=32)],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    amount = amount_field()
    memo = memo_field()
    frequency = SelectField("How often", choices=FREQUENCY_CHOICES)
    start_on = DateField("First payment on", validators=[InputRequired("Choose a date.")])
    day_of_month = SelectField("Day of the month (monthly only)", choices=DAY_CHOICES)
    end_on = DateField("Last payment no later than (optional)", validators=[Optional()])

    def __init__(self, *args, today: date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def validate_start_on(self, field) -> None:
        if field.data and field.data <= self.today:
            raise ValidationError("Choose a date after today; for today, make a transfer now.")

    def validate_end_on(self, field) -> None:
        if not field.data:
            return
        if self.frequency.data == Frequency.ONCE.value:
            raise ValidationError("A one-off transfer has no end date; leave this empty.")
        if self.start_on.data and field.data < self.start_on.data:
            raise ValidationError("The end date must not be before the first payment.")

    def validate_account_number(self, field) -> None:
        chosen_own = bool(self.to_account.data)
        typed = bool((field.data or "").strip())
        if chosen_own == typed:
            raise ValidationError("Choose one of your accounts or enter an account number.")

    def day_of_month_value(self) -> int | None:
        if self.frequency.data != Frequency.MONTHLY.value:
            return None
        if self.day_of_month.data:
            return int(self.day_of_month.data)
        start = self.start_on.data
        return start.day if start and start.day <= max(MONTH_DAYS) else LAST_DAY


__all__ = ["HistoryFilterForm", "InvalidMonth", "ScheduleForm", "parse_month"]
