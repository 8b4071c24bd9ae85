"""Drive the transfer flow like a browser: form -> confirm page -> confirm POST -> result."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from tests.support.forms import submit
from tests.support.ledger import state

FORM_URLS = {"own": "/transfers/own", "pay": "/transfers/pay"}
RESULT_URL = re.compile(r"/transfers/(\d+)$")


class _FormFields(HTMLParser):
    """Collect the named inputs of the form posting to `action`."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.inside = False
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.inside = attributes.get("action") == self.action
        elif tag == "input" and self.inside and attributes.get("name"):
            self.fields[attributes["name"]] = attributes.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def form_fields(html: str, action: str) -> dict[str, str]:
    parser = _FormFields(action)
    parser.feed(html)
    return parser.fields


@dataclass
class TransferAttempt:
    entry: object  # the response to the entry form POST (the confirm page, or the form again)
    confirm_fields: dict[str, str]
    result: object | None = None  # the response to the confirm POST

    @property
    def transaction_id(self) -> int | None:
        if self.result is None or self.result.status_code != 302:
            return None
        match = RESULT_URL.search(self.result.headers["Location"])
        return int(match.group(1)) if match else None


def start_transfer(client, flow: str, data: dict) -> TransferAttempt:
    """Fill the entry form (with its idempotency key) and return the confirm step."""
    url = FORM_URLS[flow]
    page = client.get(url)
    fields = form_fields(page.get_data(as_text=True), url)
    payload = {"idempotency_key": fields["idempotency_key"], **data}
    entry = submit(client, url, payload)
    html = entry.get_data(as_text=True)
    confirm = form_fields(html, "/transfers/confirm") if entry.status_code == 200 else {}
    return TransferAttempt(entry=entry, confirm_fields=confirm)


def confirm(client, attempt: TransferAttempt, **overrides) -> TransferAttempt:
    assert attempt.confirm_fields, attempt.entry.get_data(as_text=True)
    attempt.result = client.post("/transfers/confirm", data={**attempt.confirm_fields, **overrides})
    return attempt


def transfer(client, flow: str, data: dict) -> TransferAttempt:
    """The whole flow; `.result` is the confirm POST's response (302 to the result on success)."""
    return confirm(client, start_transfer(client, flow, data))


def own_transfer(client, source_id: int, destination_id: int, amount: str, memo: str = ""):
    return transfer(
        client,
        "own",
        {"from_account": source_id, "to_account": destination_id, "amount": amount, "memo": memo},
    )


def pay(client, source_id: int, number: str, amount: str, memo: str = ""):
    return transfer(
        client,
        "pay",
        {"from_account": source_id, "account_number": number, "amount": amount, "memo": memo},
    )


def available_of(bank, account_id: int) -> int:
    """What the account can spend now (its balance less what holds reserve)."""
    return state(bank, account_id)[1]
