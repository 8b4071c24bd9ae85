"""The dashboard chart's scales and labels (issue 16: zero-based, legible, dates like the app).

The pixel sizes are measured in Chromium (tests/e2e/test_layout.py); here, what the SVG
says: where its axes start, how its amounts and dates are written.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from banking.web.accounts.charts import axis_day, axis_money, nice_scale, render_chart


@pytest.mark.parametrize(
    ("low", "high", "ticks", "expected"),
    [
        # A balance between $1,600 and $1,900 still starts at zero: a dip looks its size.
        (160_000, 190_000, 3, [0, 100_000, 200_000]),
        (0, 220_000, 2, [0, 250_000]),  # the band's top as near the data as a round step allows
        (0, 243_580, 3, [0, 100_000, 200_000, 300_000]),  # a gridline between 0 and the top
        (0, 0, 3, [0, 100, 200]),  # nothing at all: still an axis, never a division by zero
        (0, 0, 2, [0, 100]),
        (-5_000, 190_000, 3, [-100_000, 0, 100_000, 200_000]),  # overdrawn: zero stays a tick
        (-250_000, -10_000, 3, [-300_000, -200_000, -100_000, 0]),
    ],
)
def test_scales_start_at_zero_with_round_steps(low, high, ticks, expected):
    scale = nice_scale(low, high, ticks)
    assert scale == expected
    assert 0 in scale and scale[0] <= low and scale[-1] >= high
    assert len(scale) - 1 <= ticks
    assert all(value % 100 == 0 for value in scale)  # whole units: "$500", never "$333.33"


def test_axis_labels_are_whole_amounts_and_dates_in_the_locale():
    assert axis_money(200_000, "USD", "en_US") == "$2,000"
    assert axis_money(-100_000, "USD", "en_US") == "-$1,000"
    assert axis_day(date(2026, 11, 25), "en_US") == "Nov 25"
    assert axis_day(date(2026, 11, 25), "de_DE") == "25. Nov."


def _points(balances: list[int]) -> list[dict]:
    first = date(2026, 11, 2)
    return [
        {"day": first + timedelta(days=i), "in": 0, "out": 0, "balance": balance}
        for i, balance in enumerate(balances)
    ]


def test_the_chart_is_drawn_in_css_pixels_with_labelled_axes():
    # A 15 % dip on a $10,000 balance: the balance axis runs from $0, not from $8,500.
    balances = [1_000_000] * 15 + [850_000] * 15
    points = _points(balances)
    points[15]["out"] = 150_000
    svg = str(render_chart(points, "USD", "en_US", chart_id="chart-usd"))

    # No viewBox: one user unit is one CSS pixel, so 13 px text stays 13 px on a phone.
    assert "viewBox" not in svg and 'font-size="13"' in svg
    ticks = re.findall(r'class="chart-tick"[^>]*>([^<]+)<', svg)
    assert ticks[:3] == ["$0", "$5,000", "$10,000"]  # the balance axis, from zero
    assert ticks[3:6] == ["$0", "$1,000", "$2,000"]  # money in and out, from zero
    assert ticks[6:] == ["Nov 2", "Nov 9", "Nov 16", "Nov 23", "Dec 1"]
    assert not re.search(r"\d{4}-\d{2}-\d{2}", svg)  # no ISO dates anywhere
    assert "Nov 2, 2026 to Dec 1, 2026" in svg  # the text alternative gives the period
    assert "style=" not in svg and "<script" not in svg
