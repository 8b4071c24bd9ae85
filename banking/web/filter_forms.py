"""What every GET filter form shares (customer history, admin journal and audit trail).

A filter changes nothing, so it carries no CSRF token (its URL can be bookmarked and
shared), and each one can narrow by an optional date range.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms.validators import Optional


class DateRangeFilterForm(FlaskForm):
    class Meta:
        csrf = False

    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])
