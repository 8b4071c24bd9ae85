"""The history page's empty state: a new account invites a first transfer; filters that
match nothing say so instead (the customer has transactions, just not these)."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.support.builders import make_customer
from tests.support.sessions import login_as

EMPTY = re.compile(r'<p class="empty">(.*?)</p>', re.S)
LINK = re.compile(r'<a href="([^"]+)">([^<]+)</a>')
INVITATION = "No transactions yet — make your first transfer"


def empty_state(client, account_id: int, **params) -> tuple[str, list[tuple[str, str]]]:
    """The empty-state sentence (tags stripped) and its links; fails if there is none."""
    response = client.get(f"/accounts/{account_id}/history", query_string=params)
    assert response.status_code == 200
    found = EMPTY.findall(response.get_data(as_text=True))
    assert len(found) == 1, found
    text = " ".join(unescape(re.sub(r"<[^>]+>", "", found[0])).split())
    return text, LINK.findall(found[0])


def test_an_account_with_no_transactions_invites_the_first_transfer(app, client):
    newcomer = make_customer(app, "Nina New")
    login_as(client, app, newcomer.id)

    text, links = empty_state(client, newcomer.account_id)

    assert text == INVITATION
    assert links == [("/transfers/own", "make your first transfer")]
    assert client.get(links[0][0]).status_code == 200


@pytest.mark.parametrize(
    "blank",
    [
        # What the filter form sends when nothing was filled in: no filter at all.
        dict.fromkeys(["date_from", "date_to", "direction", "min_amount", "max_amount", "q"], ""),
        {"q": "   ", "min_amount": " "},
    ],
    ids=["empty-form", "whitespace"],
)
def test_blank_filter_fields_are_no_filter_and_still_invite_the_first_transfer(app, client, blank):
    newcomer = make_customer(app, "Nina New")
    login_as(client, app, newcomer.id)

    text, links = empty_state(client, newcomer.account_id, **blank)

    assert text == INVITATION
    assert [href for href, _ in links] == ["/transfers/own"]


@pytest.mark.parametrize(
    "filters",
    [
        {"q": "no memo says this"},
        {"direction": "out"},
        {"min_amount": "500"},
        {"max_amount": "1"},
        {"date_to": "2001-01-01"},
        {"date_from": "2999-01-01"},
    ],
    ids=["text", "direction", "min", "max", "before", "after"],
)
def test_filters_matching_nothing_say_no_transactions_match(app, client, filters):
    saver = make_customer(app, "Sam Saver", balance="100.00")  # one deposit: money in
    login_as(client, app, saver.id)

    text, links = empty_state(client, saver.account_id, **filters)

    assert text == "No transactions match."
    assert links == []
    unfiltered = client.get(f"/accounts/{saver.account_id}/history").get_data(as_text=True)
    assert "Test deposit" in unfiltered and 'class="empty"' not in unfiltered
