"""Post forms the way a browser does: load the page, then send its CSRF token back."""

from __future__ import annotations

import re

CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_PATTERN.search(html)
    assert match, "no csrf_token on the page"
    return match.group(1)


def submit(
    client,
    url: str,
    data: dict | None = None,
    *,
    form_url: str | None = None,
    follow_redirects: bool = False,
    headers: dict | None = None,
):
    """POST a form the way a browser would: load the page first, then send its CSRF token."""
    page = client.get(form_url or url, headers=headers)
    payload = {"csrf_token": csrf_from(page.get_data(as_text=True))}
    payload.update(data or {})
    return client.post(url, data=payload, follow_redirects=follow_redirects, headers=headers)
