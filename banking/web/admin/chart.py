"""The overview's daily-volume chart, laid out in Python and drawn as plain SVG.

Server-side SVG needs no script and no inline style, so it passes the CSP untouched
and prints; the template only places the rectangles computed here.
"""

from __future__ import annotations

from dataclasses import dataclass

from banking.services.admin.stats import DayVolume

WIDTH = 640
HEIGHT = 200
LABEL_SPACE = 24
GAP = 4


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    label: str
    day: DayVolume


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot_height: int
    bars: list[Bar]
    max_volume: int


def layout(days: list[DayVolume]) -> Chart:
    """Bar heights proportional to volume; an empty day still gets a 1px baseline mark."""
    plot_height = HEIGHT - LABEL_SPACE
    max_volume = max((d.volume for d in days), default=0)
    slot = WIDTH // max(len(days), 1)
    bars = []
    for index, day in enumerate(days):
        height = round(day.volume * (plot_height - 10) / max_volume) if max_volume else 0
        height = max(height, 1)
        bars.append(
            Bar(
                x=index * slot + GAP // 2,
                y=plot_height - height,
                width=slot - GAP,
                height=height,
                label=day.day.strftime("%d"),
                day=day,
            )
        )
    return Chart(WIDTH, HEIGHT, plot_height, bars, max_volume)
