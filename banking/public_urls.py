"""Absolute links to the app for emails, built from the configured public base URL.

Never from the request: `url_for(..., _external=True)` takes the scheme and host from
the incoming request, so `POST /auth/forgot` with `Host: evil.example` used to email the
victim a reset link to the attacker's site, carrying a token that works on the real
one. Binding the URL map to PUBLIC_BASE_URL instead also works outside a request (the
CLI, a background worker), where there is no Host to trust anyway.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def public_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of `endpoint` under PUBLIC_BASE_URL (path prefix kept)."""
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc,
        script_name=base.path or "/",
        url_scheme=base.scheme,
    )
    return adapter.build(endpoint, values, force_external=True)
