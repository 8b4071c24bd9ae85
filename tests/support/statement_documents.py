"""Reading statement documents back: the PDF's text (pypdf) and the amounts in it."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

from pypdf import PdfReader

from banking.core.models import Account
from banking.extensions import db

# "$1,234.56", "−$30.00" (U+2212), "+$12.50": the app's money format.
MONEY = re.compile(r"([+\u2212-]?)\$([0-9][0-9,]*)\.([0-9]{2})")


def pdf_text(pdf: bytes) -> str:
    """Every page's text, in order (what a reader would copy out of the PDF)."""
    assert pdf.startswith(b"%PDF-"), pdf[:20]
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def minor_units(text: str) -> int:
    """'−$1,234.56' -> -123456."""
    sign, whole, cents = MONEY.fullmatch(text.strip()).groups()
    value = int(whole.replace(",", "")) * 100 + int(cents)
    return -value if sign in ("\u2212", "-") else value


def amount_after(text: str, label: str) -> int:
    """The first amount on the line (or the line after) that starts with `label`."""
    found = re.search(re.escape(label) + r"\s*\n?\s*(" + MONEY.pattern + ")", text)
    assert found, f"{label!r} with an amount not found in:\n{text}"
    return minor_units(found.group(1))


def signed_amounts(text: str) -> list[int]:
    """Every explicitly signed amount (+/−): a statement's entries, in order."""
    return [minor_units(m.group(0)) for m in MONEY.finditer(text) if m.group(1)]


def opened_on(app, account_id: int, when: datetime) -> None:
    """Backdate an account's opening (builders open accounts now, whatever the test clock)."""
    with app.app_context():
        db.session.get(Account, account_id).opened_at = when
        db.session.commit()
        db.session.remove()


def march_history(app, set_clock):
    """Alice and Bob, open since 1 February 2026: Alice has $100 from February; in March
    she sends Bob $30 and gets $12.50 back; in April she sends $1. Returns (alice, bob)."""
    from tests.support.builders import make_customer
    from tests.support.ledger import send

    set_clock(datetime(2026, 2, 14, 10, tzinfo=UTC))
    alice = make_customer(app, "Alice Able", balance="100.00")
    bob = make_customer(app, "Bob Baker", balance="50.00")
    for person in (alice, bob):
        opened_on(app, person.account_id, datetime(2026, 2, 1, tzinfo=UTC))
    set_clock(datetime(2026, 3, 1, 0, 0, tzinfo=UTC))
    send(app, alice.account_id, bob.account_id, 3000, memo="Rent share")
    set_clock(datetime(2026, 3, 31, 23, 59, tzinfo=UTC))
    send(app, bob.account_id, alice.account_id, 1250, memo="Thanks")
    set_clock(datetime(2026, 4, 1, 0, 0, tzinfo=UTC))
    send(app, alice.account_id, bob.account_id, 100, memo="April")
    set_clock(datetime(2026, 4, 2, 9, 0, tzinfo=UTC))  # the job runs on the 1st or after
    return alice, bob


def entries_in(text: str) -> list[int]:
    """The signed amounts of a statement PDF's transaction rows: after the table's opening
    row (the second "Opening balance"; the first is the summary's)."""
    _summary, _label, table = text.split("Opening balance", 2)
    return signed_amounts(table.split("Closing balance", 1)[0])


def check_statement_pdf(pdf: bytes, *, holder: str, period: str, opening: int, closing: int):
    """The checks the issue asks for, on the PDF's own text: name, period, opening and
    closing balances, and closing = opening + the entries."""
    text = pdf_text(pdf)
    assert holder in text
    assert f"Period {period}" in text
    assert amount_after(text, "Opening balance") == opening
    assert amount_after(text, "Closing balance") == closing
    entries = entries_in(text)
    assert entries, text
    assert opening + sum(entries) == closing
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    for page in range(1, pages + 1):  # the print view's footer, on every page
        assert f"Page {page} of {pages}" in text
    return text
