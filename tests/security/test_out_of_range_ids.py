"""Every route with an integer in its URL answers 404 (never a 500) for ids the database
cannot hold, and for huge ids it can; impossible months are a 400 with a message.

`/accounts/99999999999999999999/settings` used to reach PostgreSQL and fail with
`DataError`; `?month=9999-12` failed building the next month's link.
"""

from __future__ import annotations

import re

import pytest

from tests.support.admin import admin_client, customer_client
from tests.support.forms import csrf_from

OUT_OF_RANGE = [2**63, 2**64, 10**20]
IN_RANGE_BUT_ABSENT = [2**31, 2**63 - 1]
PART = re.compile(r"<(?:[^:>]+:)?([^>]+)>")
INT_PART = re.compile(r"<int(?:\([^)]*\))?:([^>]+)>")


def integer_routes(app) -> list[tuple[str, str]]:
    """(url, method) for every rule with an integer part, with `{}` for each integer."""
    routes = []
    for rule in app.url_map.iter_rules():
        ints = set(INT_PART.findall(rule.rule))  # the rule as written, not its internals
        if not ints:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule, method, ints))
    return routes


def build(rule, ints: set[str], value: int) -> str:
    """The rule's path with `value` for each integer part and "x" for any other part."""
    return PART.sub(lambda m: str(value) if m.group(1) in ints else "x", rule.rule)


def sweep(app, client, values: list[int]) -> dict[str, int]:
    token = csrf_from(client.get("/auth/profile").get_data(as_text=True))
    answers = {}
    for rule, method, ints in integer_routes(app):
        for value in values:
            url = build(rule, ints, value)
            response = client.open(url, method=method, data={"csrf_token": token})
            answers[f"{method} {url}"] = response.status_code
    return answers


def test_there_are_integer_routes_to_sweep(app):
    assert len(integer_routes(app)) >= 15


@pytest.mark.parametrize("who", ["customer", "admin"])
def test_ids_past_bigint_are_404_on_every_route(app, client, who):
    (customer_client if who == "customer" else admin_client)(app, client)
    answers = sweep(app, client, OUT_OF_RANGE)
    assert answers
    assert {k: v for k, v in answers.items() if v != 404} == {}


@pytest.mark.parametrize("who", ["customer", "admin"])
def test_huge_ids_that_fit_are_never_a_server_error(app, client, who):
    (customer_client if who == "customer" else admin_client)(app, client)
    answers = sweep(app, client, IN_RANGE_BUT_ABSENT)
    assert {k: v for k, v in answers.items() if v >= 500} == {}


@pytest.mark.parametrize("month", ["9999-12", "9999-01", "0000-01", "2026-13", "1969-12"])
def test_an_impossible_statement_month_is_a_400_with_a_message(app, client, month):
    customer = customer_client(app, client)
    response = client.get(f"/accounts/{customer.account_id}/statement?month={month}")
    assert response.status_code == 400
    assert "Enter a real month" in response.get_data(as_text=True)


# The archive reads no month; a document's month is in its path, and one with no
# document (an impossible one included) is a 404 (tests/web/accounts/test_statement_archive.py).
NO_MONTH_QUERY = {"accounts.statement_archive_page", "accounts.statement_document"}


@pytest.mark.parametrize("month", ["9999-12", "2026-13"])
def test_every_page_that_reads_a_month_refuses_an_impossible_one(app, client, month):
    customer = customer_client(app, client)
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or "statement" not in rule.rule:
            continue
        if rule.endpoint in NO_MONTH_QUERY:
            continue
        url = build(rule, rule.arguments, customer.account_id) + f"?month={month}"
        assert client.get(url).status_code == 400, url
