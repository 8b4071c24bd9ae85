"""A monthly statement as PDF: the statement page's own template, printed by WeasyPrint.

One layout: `templates/accounts/statement.html` in `document` mode (no signed-in chrome,
no on-screen links or forms) with the same `static/css/print.css` the browser uses when
the customer prints the page, so the archived PDF and the printed page cannot drift
apart. WeasyPrint lays out paged media itself (the "Page N of M" margin box included);
it needs Pango from the operating system (Debian: libpango-1.0-0, libpangoft2-1.0-0).

The page is rendered in a request context of its own (`test_request_context`: Flask's
way to render outside a request), so the worker, the CLI and the demo seed produce the
same bytes as a web request would, and no signed-in user's details can leak into the
document. Stylesheets and images are read from the app's static folder only: the
renderer fetches nothing over the network and no file outside `static/`.
"""

from __future__ import annotations

import logging
import mimetypes
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app, render_template
from werkzeug.security import safe_join

from banking.core.statements import Statement

# WeasyPrint reports every CSS property it does not support (app.css has screen-only
# ones) as a warning; those are expected and would drown the worker's log.
logging.getLogger("weasyprint").setLevel(logging.ERROR)
logging.getLogger("fontTools").setLevel(logging.ERROR)

DOCUMENT_BASE_URL = "https://statement.invalid/"  # never fetched: see _StaticOnlyFetcher
TEMPLATE = "accounts/statement.html"


@dataclass(frozen=True)
class DocumentAccount:
    """What the statement template reads of an account, detached from the session (the
    renderer runs after the read transaction and must not lazy-load)."""

    id: int
    number: str
    kind: str
    currency: str
    display_name: str
    masked_number: str


def render_statement_html(
    account: DocumentAccount, holder_name: str, statement: Statement, issued_on: date
) -> str:
    """The statement page's HTML in document mode (what the PDF is printed from)."""
    with current_app.test_request_context(f"/accounts/{account.id}/statement"):
        return render_template(
            TEMPLATE,
            document=True,
            account=account,
            holder_name=holder_name,
            statement=statement,
            month_value=str(statement.month),
            month_error=None,
            issued_on=issued_on,
        )


def render_statement_pdf(
    account: DocumentAccount, holder_name: str, statement: Statement, issued_on: date
) -> bytes:
    """The statement as PDF bytes (a few kB a page)."""
    from weasyprint import HTML  # imported on use: loading Pango costs ~0.3 s at start-up

    html = render_statement_html(account, holder_name, statement, issued_on)
    fetcher = _static_only_fetcher(Path(current_app.static_folder))
    # presentational_hints: the <img> width/height attributes size the logo, as in a browser.
    document = HTML(string=html, base_url=DOCUMENT_BASE_URL, url_fetcher=fetcher)
    return document.write_pdf(presentational_hints=True)


def _static_only_fetcher(static_folder: Path):
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    prefix = f"{DOCUMENT_BASE_URL}static/"

    class StaticOnlyFetcher(URLFetcher):
        """Serves `/static/...` from the app's static folder; refuses everything else."""

        def fetch(self, url, headers=None):
            if not url.startswith(prefix):
                raise ValueError("statement documents load static files only")
            relative = url[len(prefix) :].split("?", 1)[0].split("#", 1)[0]
            path = safe_join(str(static_folder), relative)
            if path is None or not Path(path).is_file():
                raise ValueError("no such static file")
            mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
            return URLFetcherResponse(url, Path(path).read_bytes(), headers={"Content-Type": mime})

    return StaticOnlyFetcher()
