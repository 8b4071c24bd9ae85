"""What the URLs among the settings must look like (standard library only: config.py uses it)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def normalize_database_url(url: str | None) -> str | None:
    """Send every PostgreSQL URL through psycopg 3 (SQLAlchemy's default is psycopg2)."""
    if not url:
        return url
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def public_base_url_problem(url: str, *, require_https: bool = False) -> str | None:
    """Why `url` cannot be the public base URL, or None when it can.

    An absolute http(s) URL with a host and nothing a link could not carry (no
    credentials, query or fragment); https when `require_https`.
    """
    try:
        parts = urlsplit(url)
        _ = parts.port  # a malformed port raises here, not later in a link
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an absolute http(s) URL such as https://bank.example.com"
    if require_https and parts.scheme != "https":
        return "must use https in production"
    if parts.username or parts.password or parts.query or parts.fragment:
        return "must not contain credentials, a query or a fragment"
    return None


def public_base_host(url: str) -> str | None:
    """The host name of the public base URL (lower-case, no port), if it has one."""
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def parse_networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """`10.0.0.0/8, 127.0.0.1` -> networks (a bare address is a /32 or /128)."""
    networks = []
    for item in (part.strip() for part in text.split(",")):
        if item:
            networks.append(ipaddress.ip_network(item, strict=False))
    return networks
