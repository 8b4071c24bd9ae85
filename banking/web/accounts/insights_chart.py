"""The insights page's chart: spending by category as horizontal bars, drawn on the server
as SVG (no script, no CDN, no style=), like the dashboard's chart (`charts.py`).

No viewBox: one user unit is one CSS pixel and bar lengths are percentages of the width,
so the labels stay legible on a 360 px phone. Each bar's row has the category's name
above it and the amount at its end; the same figures are in the table beside the chart
and in the SVG's <desc>.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from banking.core.money import format_money

ROW = 46  # px per category: a label line and a bar
BAR = 16
TOP = 8
LABEL_SPACE = 30  # % of the width kept free at the bar's end for its amount
BAR_FILL = "#1f4e79"


def category_chart(lines, currency: str, locale: str, *, chart_id: str = "spending") -> Markup:
    """`lines`: CategoryLine-like objects (label, spent), most spent first."""
    shown = [line for line in lines if line.spent > 0]
    height = TOP + ROW * max(len(shown), 1)
    total = sum(line.spent for line in shown)
    fmt = lambda minor: format_money(minor, currency, locale)  # noqa: E731
    summary = (
        "Spending by category: "
        + "; ".join(f"{line.label} {fmt(line.spent)}" for line in shown)
        + f". Total {fmt(total)}."
        if shown
        else "No spending this month."
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart category-chart" width="100%" '
        f'height="{height}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'focusable="false" font-size="13">',
        f'<title id="{chart_id}-title">Spending by category ({escape(currency)})</title>',
        f'<desc id="{chart_id}-desc">{escape(summary)}</desc>',
    ]
    peak = max((line.spent for line in shown), default=0)
    for index, line in enumerate(shown):
        y = TOP + index * ROW
        width = (100 - LABEL_SPACE) * line.spent / peak if peak else 0
        parts.append(
            f'<text class="chart-label" x="0" y="{y + 12}">{escape(line.label)}</text>'
            f'<rect class="chart-bar" x="0" y="{y + 18}" width="{max(width, 0.5):.2f}%" '
            f'height="{BAR}" rx="2" fill="{BAR_FILL}"/>'
            f'<text class="chart-amount" x="{width + 1:.2f}%" y="{y + 31}">'
            f"{escape(fmt(line.spent))}</text>"
        )
    parts.append("</svg>")
    # Built only from numbers formatted here and text passed through escape():
    return Markup("".join(parts))  # noqa: S704  # nosec B704
