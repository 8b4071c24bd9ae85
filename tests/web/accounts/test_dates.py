"""Dates, one way: money lists are grouped under day headings ("Today", "Yesterday",
"Mon, Nov 25"), each row shows its time of day, all in BABEL_LOCALE and DISPLAY_TIMEZONE.

Four formats used to be mixed ("11/25/26, 2:05 PM", "Nov 25, 2026, 2:05:00 PM", ...);
the filters in banking/web/templating.py are the only ones customer pages use now.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from banking.caching import user_key
from banking.core.clock import SystemClock
from banking.extensions import cache
from tests.support.builders import make_customer
from tests.support.ledger import send
from tests.support.sessions import login_as

# Old, mixed formats that must not come back on customer pages.
SHORT_DATETIME = re.compile(r"\d{1,2}/\d{1,2}/\d{2}, \d")  # "11/25/26, 2:05 PM"
WITH_SECONDS = re.compile(r"\d:\d\d:\d\d")  # "2:05:00 PM"


@pytest.fixture
def clock(monkeypatch):
    def set_time(when: datetime) -> None:
        monkeypatch.setattr(SystemClock, "now", lambda self: when)

    return set_time


def page(client, path: str) -> str:
    """The page's HTML, with CLDR's narrow no-break space before AM/PM made plain."""
    return client.get(path).get_data(as_text=True).replace("\u202f", " ")


def headings(html: str) -> list[str]:
    return re.findall(
        r'<tr class="day-row"><th scope="rowgroup" colspan="4">(?:<time[^>]*>)?([^<]+)', html
    )


@pytest.fixture
def alice(app, client, clock):
    """Movements today, yesterday, and on Tue Mar 10 2026 (Bob is masked as ever)."""
    now = datetime.now(UTC).replace(hour=15, minute=5, second=0, microsecond=0)
    clock(datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker")
    clock(datetime(2026, 3, 10, 14, 5, tzinfo=UTC))
    send(app, alice.account_id, bob.account_id, 100, memo="long ago")
    clock(now - timedelta(days=1))
    send(app, alice.account_id, bob.account_id, 200, memo="yesterday's")
    clock(now)
    send(app, alice.account_id, bob.account_id, 300, memo="today's")
    login_as(client, app, alice.id)
    return alice


def test_history_groups_rows_under_day_headings_with_times(app, client, alice):
    html = page(client, f"/accounts/{alice.account_id}/history")

    assert headings(html) == ["Today", "Yesterday", "Tue, Mar 10"]
    assert "3:05 PM" in html and "2:05 PM" in html  # the time of day, once per row
    text = re.sub(r"<[^>]+>", " ", html)  # what is read, not <time datetime="...">
    assert not SHORT_DATETIME.search(text) and not WITH_SECONDS.search(text)
    # The heading is a header for its group's cells (one <tbody> per day).
    assert html.count("<tbody>") == 3


def test_dashboard_groups_recent_activity_by_day(app, client, alice):
    html = page(client, "/")
    found = headings(html)
    assert found[:2] == ["Today", "Yesterday"]
    assert "3:05 PM" in html
    assert not SHORT_DATETIME.search(html)


def test_days_and_times_follow_the_display_time_zone_and_locale(app, client, alice, clock):
    # 14:05 UTC on Mar 10 is 23:05 in Tokyo; 23:30 UTC on Mar 11 is already Mar 12 there.
    clock(datetime(2026, 3, 11, 23, 30, tzinfo=UTC))
    bob = make_customer(app, "Bob Two")
    send(app, alice.account_id, bob.account_id, 400, memo="late")
    app.config.update(DISPLAY_TIMEZONE="Asia/Tokyo", BABEL_LOCALE="en_GB")

    html = page(client, f"/accounts/{alice.account_id}/history")

    found = headings(html)
    assert "Thu 12 Mar" in found and "Tue 10 Mar" in found
    assert "23:05" in html and "08:30" in html  # en_GB: 24-hour times, Tokyo's clock


def test_a_dashboard_cached_yesterday_is_not_called_today(app, client, alice):
    client.get("/")  # cached with its body
    with app.app_context():
        key = user_key("dashboard", alice.id)
        summary = cache.get(key)
        assert summary is not None and summary["body_day"]
        summary["body_day"] = "2000-01-01"  # as if rendered before midnight
        summary["body_html"] = summary["body_html"].replace("Today", "Stale day")
        cache.set(key, summary)

    html = page(client, "/")

    assert "Stale day" not in html
    assert headings(html)[0] == "Today"


def test_a_statement_is_dated_not_relative(app, client, alice):
    from banking.core.models.base import utcnow

    month = utcnow().strftime("%Y-%m")
    html = page(client, f"/accounts/{alice.account_id}/statement?month={month}")
    found = headings(html)
    assert found and "Today" not in found and "Yesterday" not in found
