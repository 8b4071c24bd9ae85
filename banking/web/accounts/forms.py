"""Forms for the money pages: transfers, payees and account settings.

Amounts stay text here and are parsed by `banking.core.money.parse_amount` in `validate_amount`,
so every odd input ("1e3", "-5", "٣") becomes a field error, never an exception.
Every money form carries a one-time idempotency key generated when it is rendered.
Validators here check input syntax only; what may move where is `banking.core.ledger.rules`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from banking.core.money import SUPPORTED_CURRENCIES, InvalidAmount, parse_amount
from banking.web import page_cache

MEMO_MAX = 140
NICKNAME_MAX = 60


# A fresh key per rendered form (noted, so that a cached page never carries it).
new_idempotency_key = page_cache.new_idempotency_key


def _coerce_id(value) -> int | None:
    """Select values arrive as text; anything that isn't a plain id is "nothing chosen"."""
    if value in (None, "", "None"):
        return None
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


coerce_id = _coerce_id  # what the transfer confirm view reads a posted id with


def amount_field() -> StringField:
    """The amount as typed; `AmountMixin.validate_amount` parses it."""
    return StringField(
        "Amount", validators=[InputRequired("Enter an amount.")], render_kw={"inputmode": "decimal"}
    )


def memo_field() -> StringField:
    return StringField(
        "Memo (optional)",
        validators=[
            Optional(),
            Length(max=MEMO_MAX, message=f"Use at most {MEMO_MAX} characters."),
        ],
    )


def nickname_field(*, required: bool) -> StringField:
    """A nickname for an account or a payee: at most NICKNAME_MAX characters."""
    return StringField(
        "Nickname" if required else "Nickname (optional)",
        validators=[
            DataRequired("Enter a nickname.") if required else Optional(),
            Length(max=NICKNAME_MAX, message=f"Use at most {NICKNAME_MAX} characters."),
        ],
    )


class AmountMixin:
    """Parses the form's `amount` field into `amount_minor` (cents), or a field error."""

    amount_minor: int | None = None

    def validate_amount(self, field) -> None:
        try:
            self.amount_minor = parse_amount(field.data)
        except InvalidAmount as exc:
            raise ValidationError(exc.message) from exc


class _MoneyForm(AmountMixin, FlaskForm):
    amount = amount_field()
    memo = memo_field()
    idempotency_key = HiddenField()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.idempotency_key.data:
            self.idempotency_key.data = new_idempotency_key()


class OwnTransferForm(_MoneyForm):
    """Between two of the customer's own accounts."""

    from_account = SelectField("From", coerce=_coerce_id, validate_choice=False)
    to_account = SelectField("To", coerce=_coerce_id, validate_choice=False)

    def validate_from_account(self, field) -> None:
        if field.data is None:
            raise ValidationError("Choose an account to send from.")

    def validate_to_account(self, field) -> None:
        # Only "something was chosen": whether these two accounts may trade (the same
        # account twice, a closed one...) is the ledger's rule book, asked by the preview.
        if field.data is None:
            raise ValidationError("Choose an account to send to.")


class PayTransferForm(_MoneyForm):
    """To another customer: a saved payee or an account number typed in."""

    # The customer's saved payees, set by the view with the select's choices (the "Pay"
    # and "Pay again" links are resolved against this list, never against any id).
    own_payees: tuple = ()

    from_account = SelectField("From", coerce=_coerce_id, validate_choice=False)
    payee = SelectField("Saved payee", coerce=_coerce_id, validate_choice=False)
    account_number = StringField(
        "Or their account number",
        # No Optional(): it would stop the chain before `validate_account_number` runs.
        validators=[Length(max=40, message="That is not a valid account number.")],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )

    def validate_from_account(self, field) -> None:
        if field.data is None:
            raise ValidationError("Choose an account to send from.")

    def validate_account_number(self, field) -> None:
        if self.payee.data is None and not (field.data or "").strip():
            raise ValidationError("Choose a saved payee or enter an account number.")


class ConfirmTransferForm(AmountMixin, FlaskForm):
    """The confirm page sends back exactly what it showed, plus the form's idempotency key."""

    flow = HiddenField(validators=[DataRequired()])
    from_account = HiddenField(validators=[DataRequired()])
    to_number = HiddenField(validators=[DataRequired()])
    amount = HiddenField(validators=[InputRequired()])
    memo = HiddenField(validators=[Optional(), Length(max=MEMO_MAX)])
    idempotency_key = HiddenField(validators=[DataRequired()])
    # The saved payee the customer chose, if any: never used to move money (`to_number`
    # is), only to name the recipient again when the form comes back for an edit.
    payee = HiddenField(validators=[Optional()])

    @property
    def from_account_id(self) -> int | None:
        return _coerce_id(self.from_account.data)

    @property
    def payee_id(self) -> int | None:
        return _coerce_id(self.payee.data)


class OpenAccountForm(FlaskForm):
    kind = SelectField(
        "Account type",
        choices=[SelectChoice("savings", "Savings"), SelectChoice("checking", "Checking")],
        default="savings",
    )
    currency = SelectField("Currency", choices=[SelectChoice(c) for c in SUPPORTED_CURRENCIES])
    nickname = nickname_field(required=False)


class RenameForm(FlaskForm):
    """Nicknames for accounts and payees."""

    nickname = nickname_field(required=True)


class ConfirmForm(FlaskForm):
    """A button-only form (close an account, delete a payee): CSRF is its only field."""


class DismissAnnouncementsForm(FlaskForm):
    """"Got it" under the dashboard's announcements: `until` is the newest decision shown
    (ISO 8601), so one made after the page was drawn stays announced."""

    until = HiddenField(validators=[DataRequired()])

    def until_value(self) -> datetime | None:
        """The parsed `until`, or None when it is not an ISO date and time."""
        try:
            value = datetime.fromisoformat(self.until.data or "")
        except ValueError:
            return None
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class PayeeForm(FlaskForm):
    nickname = nickname_field(required=True)
    account_number = StringField(
        "Account number",
        validators=[
            DataRequired("Enter the account number."),
            Length(max=40, message="That is not a valid account number."),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
