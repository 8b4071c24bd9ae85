"""The monthly insights page (/insights?month=YYYY-MM): spending by category, income vs
spending, the change from the month before, top merchants; previous and next month.

The figures come from one service call (`banking.services.insights`, cached per customer
and month); a month that does not parse is a 400 with the month picker open.
"""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import current_user

from banking.core.periods import InvalidMonth, Month
from banking.services import insights as service
from banking.web.accounts import bp
from banking.web.accounts.insights_chart import category_chart
from banking.web.guards import customer_required


@bp.get("/insights")
@customer_required
def insights():
    today = service.today()
    text = (request.args.get("month") or "").strip()
    try:
        month = Month.parse(text) if text else Month.of(today)
        if month.first_day > today:
            raise InvalidMonth("That month has not started yet.")
    except InvalidMonth as exc:
        return render_template(
            "accounts/insights.html",
            data=None,
            month_value=text[:7],
            month_error=str(exc),
        ), 400
    data = service.month_insights(current_user.id, month)
    locale = current_app.config.get("BABEL_LOCALE", "en_US")
    chart = category_chart(data.categories, data.currency, locale) if data.currency else None
    following = month.next()
    return render_template(
        "accounts/insights.html",
        data=data,
        chart=chart,
        month_value=str(month),
        month_error=None,
        previous_month=str(month.previous()),
        next_month=str(following) if following.first_day <= today else None,
    )
