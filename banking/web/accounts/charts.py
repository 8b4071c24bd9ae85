"""The dashboard's 30-day chart, drawn on the server as SVG (no script, no CDN, no style=).

Money in and out are bars on the lower band, the end-of-day balance a line on the
upper band (the two have different scales: a month's flows are usually far smaller
than a balance). Colours are presentation attributes, which the CSP allows. The
chart is decorative for screen readers only in the sense that the same numbers are
in `chart_summary` and the table the template renders next to it.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from banking.core.money import format_money

WIDTH = 640
HEIGHT = 240
LEFT = 8
RIGHT = 8
BALANCE_TOP = 24
BALANCE_BOTTOM = 112
BARS_TOP = 136
BARS_BOTTOM = 216
CREDIT = "#146c2e"
DEBIT = "#a3261b"
LINE = "#0b4f6c"
MUTED = "#4d5b6a"


def chart_summary(points: list[dict[str, Any]], currency: str, locale: str) -> str:
    """One sentence with what the chart shows, for everyone who can't see it."""
    if not points:
        return "No activity in this period."
    total_in = sum(p["in"] for p in points)
    total_out = sum(p["out"] for p in points)
    fmt = lambda minor: format_money(minor, currency, locale)  # noqa: E731
    return (
        f"Over the last {len(points)} days: {fmt(total_in)} in, {fmt(total_out)} out; "
        f"balance went from {fmt(points[0]['balance'])} to {fmt(points[-1]['balance'])}."
    )


def render_chart(
    points: list[dict[str, Any]], currency: str, locale: str, *, chart_id: str = "chart"
) -> Markup:
    """The SVG markup (safe to embed: every number is formatted here, every text escaped)."""
    count = max(len(points), 1)
    slot = (WIDTH - LEFT - RIGHT) / count
    title_id = f"{chart_id}-title"
    desc_id = f"{chart_id}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{title_id} {desc_id}" focusable="false">',
        f'<title id="{title_id}">{escape(currency)}: money in, money out and balance, '
        f"last {len(points)} days</title>",
        f'<desc id="{desc_id}">{escape(chart_summary(points, currency, locale))}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]
    parts += _balance_line(points, slot, currency, locale)
    parts += _flow_bars(points, slot)
    parts += _labels(points, currency, locale)
    parts.append("</svg>")
    # Built only from numbers formatted here and text passed through escape():
    return Markup("".join(parts))  # noqa: S704  # nosec B704


def _balance_line(points, slot: float, currency: str, locale: str) -> list[str]:
    if not points:
        return []
    balances = [p["balance"] for p in points]
    low, high = min(balances), max(balances)
    span = (high - low) or 1
    height = BALANCE_BOTTOM - BALANCE_TOP

    def y(value: int) -> float:
        if high == low:
            return (BALANCE_TOP + BALANCE_BOTTOM) / 2
        return BALANCE_BOTTOM - (value - low) / span * height

    coords = " ".join(
        f"{LEFT + slot * (i + 0.5):.1f},{y(value):.1f}" for i, value in enumerate(balances)
    )
    high_text = escape(format_money(high, currency, locale))
    low_text = escape(format_money(low, currency, locale))
    return [
        f'<line x1="{LEFT}" y1="{BALANCE_BOTTOM}" x2="{WIDTH - RIGHT}" y2="{BALANCE_BOTTOM}" '
        f'stroke="#d3dae3" stroke-width="1"/>',
        f'<polyline points="{coords}" fill="none" stroke="{LINE}" stroke-width="2.5" '
        f'stroke-linejoin="round" stroke-linecap="round"/>',
        f'<text x="{LEFT}" y="{BALANCE_TOP - 8}" font-size="12" fill="{MUTED}">'
        f"Balance (high {high_text}, low {low_text})</text>",
    ]


def _flow_bars(points, slot: float) -> list[str]:
    peak = max([p["in"] for p in points] + [p["out"] for p in points] + [1])
    height = BARS_BOTTOM - BARS_TOP
    bar = max(slot / 2 - 1, 1)
    parts = [
        f'<line x1="{LEFT}" y1="{BARS_BOTTOM}" x2="{WIDTH - RIGHT}" y2="{BARS_BOTTOM}" '
        f'stroke="#d3dae3" stroke-width="1"/>'
    ]
    for i, point in enumerate(points):
        x = LEFT + slot * i
        for offset, value, colour in ((0.5, point["in"], CREDIT), (slot / 2, point["out"], DEBIT)):
            if value <= 0:
                continue
            h = max(value / peak * height, 1)
            parts.append(
                f'<rect x="{x + offset:.1f}" y="{BARS_BOTTOM - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{colour}"/>'
            )
    return parts


def _labels(points, currency: str, locale: str) -> list[str]:
    if not points:
        return []
    first, last = points[0]["day"], points[-1]["day"]
    return [
        f'<text x="{LEFT}" y="{BARS_TOP - 8}" font-size="12" fill="{MUTED}">'
        f"Daily money in (green, left bar) and out (red, right bar), {escape(currency)}</text>",
        f'<text x="{LEFT}" y="{HEIGHT - 6}" font-size="12" fill="{MUTED}">'
        f"{escape(first.isoformat())}</text>",
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 6}" font-size="12" fill="{MUTED}" '
        f'text-anchor="end">{escape(last.isoformat())}</text>',
    ]
