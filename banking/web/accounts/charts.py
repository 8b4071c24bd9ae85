"""The dashboard's 30-day chart, drawn on the server as SVG (no script, no CDN, no style=).

Two bands share one time axis: the end-of-day balance as a line on top, money in and out
per day as bars below (a month's flows are usually far smaller than a balance, so each
band has its own scale). Both scales start at zero (or below it, when a balance is
overdrawn, with the zero line drawn stronger): a 15 % dip must look like 15 %, not like a
crash. Each band has a labelled y axis; the x axis carries dates in the app's locale.

The SVG has no viewBox: its user unit is one CSS pixel, horizontal positions are
percentages of its width and it is drawn at a fixed height. So the text is the same
legible size on a 360 px phone and a 1280 px desktop (a scaled viewBox made it ≈ 6 px on
phones), and the line keeps its stroke width at any width. Colours come from classes
(app.css, both colour schemes) with presentation attributes as the fallback, which the
CSP allows. The same numbers are in `chart_summary` (the SVG's <desc>) and in the table
the template renders next to it.
"""

from __future__ import annotations

from copy import copy
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.numbers import NumberPattern
from markupsafe import Markup, escape

from banking.core.money import MINOR_UNITS, format_money

HEIGHT = 300
BALANCE_TOP, BALANCE_BOTTOM = 44, 150  # the balance band (px from the top)
FLOWS_TOP, FLOWS_BOTTOM = 206, 258  # the money in / out band
AXIS_LABELS_Y = 282  # baseline of the dates
TICK_DAYS = (0, 7, 14, 21)  # plus the last day: weekly marks from the first day
CREDIT = "#11652b"
DEBIT = "#a3261b"
LINE = "#0b4f6c"
MUTED = "#4a5868"
GRID = "#d5dce5"
AXIS = "#7c8a9c"


def chart_summary(points: list[dict[str, Any]], currency: str, locale: str) -> str:
    """One sentence with what the chart shows, for everyone who can't see it."""
    if not points:
        return "No activity in this period."
    total_in = sum(p["in"] for p in points)
    total_out = sum(p["out"] for p in points)
    fmt = lambda minor: format_money(minor, currency, locale)  # noqa: E731
    return (
        f"Over the last {len(points)} days ({_day(points[0]['day'], locale)} to "
        f"{_day(points[-1]['day'], locale)}): {fmt(total_in)} in, {fmt(total_out)} out; "
        f"balance went from {fmt(points[0]['balance'])} to {fmt(points[-1]['balance'])}."
    )


def render_chart(
    points: list[dict[str, Any]], currency: str, locale: str, *, chart_id: str = "chart"
) -> Markup:
    """The SVG markup (safe to embed: every number is formatted here, every text escaped)."""
    title_id = f"{chart_id}-title"
    desc_id = f"{chart_id}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart balance-chart" width="100%" '
        f'height="{HEIGHT}" role="img" aria-labelledby="{title_id} {desc_id}" '
        f'focusable="false" font-size="13">',
        f'<title id="{title_id}">{escape(currency)}: balance, money in and money out, '
        f"last {len(points)} days</title>",
        f'<desc id="{desc_id}">{escape(chart_summary(points, currency, locale))}</desc>',
    ]
    if points:
        parts += _balance_band(points, currency, locale)
        parts += _flows_band(points, currency, locale)
        parts += _date_axis(points, locale)
    parts.append("</svg>")
    # Built only from numbers formatted here and text passed through escape():
    return Markup("".join(parts))  # noqa: S704  # nosec B704


# Scales -------------------------------------------------------------------------------------
def nice_scale(low: int, high: int, ticks: int = 3) -> list[int]:
    """Round tick values (minor units) from zero (or below it) up to at least `high`.

    Zero is always a tick. Steps are 1, 2, 2.5 or 5 times a power of ten and at least one
    whole unit of the currency, so labels read "$500", "$1,000", never "$333.33"; of the
    steps that need at most `ticks` intervals (and at least two when `ticks` allows), the
    one whose top is nearest `high` wins (the data fills the band), then the one with
    more gridlines.
    """
    low, high = min(low, 0), max(high, 0)
    fewest = 2 if ticks >= 3 else 1  # a band with room gets a gridline between 0 and the top
    best: tuple[int, int, int] | None = None  # (top - bottom, -intervals, step)
    magnitude = MINOR_UNITS
    while best is None or magnitude <= best[0]:
        for tenths in (10, 20, 25, 50):
            step = magnitude * tenths // 10
            if step % MINOR_UNITS:
                continue  # $2.50 steps would print as "$3"
            first, last = (low // step) * step, -(-high // step) * step
            last = max(last, first + fewest * step)  # even for a flat line
            intervals = (last - first) // step
            if fewest <= intervals <= ticks:
                candidate = (last - first, -intervals, step)
                best = candidate if best is None else min(best, candidate)
        magnitude *= 10
    span, _, step = best
    first = (low // step) * step
    return list(range(first, first + span + step, step))


def _y(value: int, ticks: list[int], top: float, bottom: float) -> float:
    low, high = ticks[0], ticks[-1]
    return bottom - (value - low) / (high - low) * (bottom - top)


def _x(index: int, count: int) -> str:
    """The middle of day `index`'s slot, as a percentage of the chart's width."""
    return f"{(index + 0.5) / count * 100:.3f}%"


# Bands --------------------------------------------------------------------------------------
def _balance_band(points, currency: str, locale: str) -> list[str]:
    balances = [p["balance"] for p in points]
    ticks = nice_scale(min(balances), max(balances))
    parts = [_band_heading(BALANCE_TOP - 26, "Balance at the end of each day")]
    parts += _y_axis(ticks, BALANCE_TOP, BALANCE_BOTTOM, currency, locale)
    count = len(points)
    ys = [_y(b, ticks, BALANCE_TOP, BALANCE_BOTTOM) for b in balances]
    for i in range(count - 1):  # segments: a <polyline> can't take percentages
        parts.append(
            f'<line class="chart-line" x1="{_x(i, count)}" y1="{ys[i]:.1f}" '
            f'x2="{_x(i + 1, count)}" y2="{ys[i + 1]:.1f}" stroke="{LINE}" stroke-width="2.5" '
            f'stroke-linecap="round"/>'
        )
    parts.append(
        f'<circle class="chart-dot" cx="{_x(count - 1, count)}" cy="{ys[-1]:.1f}" r="4" '
        f'fill="{LINE}"/>'
    )
    return parts


def _flows_band(points, currency: str, locale: str) -> list[str]:
    peak = max([p["in"] for p in points] + [p["out"] for p in points])
    ticks = nice_scale(0, peak, ticks=2)  # a shorter band: two gridlines above zero at most
    parts = [_band_heading(FLOWS_TOP - 26, "Money in and out each day")]
    parts += _y_axis(ticks, FLOWS_TOP, FLOWS_BOTTOM, currency, locale)
    count = len(points)
    slot = 100 / count
    for i, point in enumerate(points):
        for offset, value, kind, colour in (
            (0.12, point["in"], "in", CREDIT),
            (0.52, point["out"], "out", DEBIT),
        ):
            if value <= 0:
                continue
            top = min(_y(value, ticks, FLOWS_TOP, FLOWS_BOTTOM), FLOWS_BOTTOM - 1)
            parts.append(
                f'<rect class="chart-{kind}" x="{(i + offset) * slot:.3f}%" y="{top:.1f}" '
                f'width="{0.36 * slot:.3f}%" height="{FLOWS_BOTTOM - top:.1f}" fill="{colour}"/>'
            )
    return parts


def _band_heading(y: float, text: str) -> str:
    return f'<text class="chart-heading" x="0" y="{y}" font-weight="600">{escape(text)}</text>'


def _y_axis(ticks: list[int], top: float, bottom: float, currency: str, locale: str) -> list[str]:
    """A gridline per tick with its amount just above it, at the left edge."""
    parts = []
    for value in ticks:
        y = _y(value, ticks, top, bottom)
        kind = "chart-zero" if value == 0 else "chart-grid"
        colour = AXIS if value == 0 else GRID
        parts.append(
            f'<line class="{kind}" x1="0" y1="{y:.1f}" x2="100%" y2="{y:.1f}" '
            f'stroke="{colour}" stroke-width="1"/>'
        )
        parts.append(
            f'<text class="chart-tick" x="0" y="{y - 4:.1f}" fill="{MUTED}">'
            f"{escape(axis_money(value, currency, locale))}</text>"
        )
    return parts


def _date_axis(points, locale: str) -> list[str]:
    """The first and last day at the edges, and a mark every seven days between them."""
    count = len(points)
    marks = [i for i in TICK_DAYS if i < count - 4] + [count - 1]
    parts = []
    for i in marks:
        x = _x(i, count)
        parts.append(
            f'<line class="chart-zero" x1="{x}" y1="{FLOWS_BOTTOM}" x2="{x}" '
            f'y2="{FLOWS_BOTTOM + 5}" stroke="{AXIS}" stroke-width="1"/>'
        )
        if i == 0:
            position = 'x="0"'
        elif i == count - 1:
            position = 'x="100%" text-anchor="end"'
        else:
            position = f'x="{x}" text-anchor="middle"'
        parts.append(
            f'<text class="chart-tick" {position} y="{AXIS_LABELS_Y}" fill="{MUTED}">'
            f"{escape(axis_day(points[i]['day'], locale))}</text>"
        )
    return parts


# Labels -------------------------------------------------------------------------------------
@lru_cache(maxsize=64)
def _whole_units_pattern(locale: str) -> tuple[Locale, NumberPattern]:
    """The locale's currency pattern without decimals: axis labels are round amounts."""
    parsed = Locale.parse(locale)
    pattern = copy(parsed.currency_formats["standard"])
    pattern.frac_prec = (0, 0)
    return parsed, pattern


def axis_money(minor: int, currency: str, locale: str) -> str:
    """ "$1,000" (ticks are whole units of the currency: see `nice_scale`)."""
    parsed, pattern = _whole_units_pattern(locale)
    return pattern.apply(
        Decimal(minor) / MINOR_UNITS, parsed, currency=currency, currency_digits=False
    )


def axis_day(day: date, locale: str) -> str:
    """ "Nov 25": the day and month in the configured locale (the year is in the summary)."""
    return format_skeleton("MMMd", day, locale=locale)


def _day(day: date, locale: str) -> str:
    return format_date(day, "medium", locale=locale)
