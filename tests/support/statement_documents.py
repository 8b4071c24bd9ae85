"""Reading statement documents back: the PDF's text (pypdf) and the amounts in it."""

from __future__ import annotations

import io
import re
from datetime import datetime

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
