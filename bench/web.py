"""A tiny browser for the load clients: one keep-alive connection, cookies, HTML forms.

Standard library only (http.client, html.parser), so each load-generator process is
cheap and its timing isn't coloured by a heavy HTTP library.
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

USER_AGENT = "banking-bench/1.0"  # Flask-Login's strong protection hashes it with the IP


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    selects: dict[str, list[str]] = field(default_factory=dict)  # name -> option values


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(
                Form(
                    action=attributes.get("action", ""),
                    method=attributes.get("method", "get").lower(),
                )
            )
            return
        if not self.forms:
            return
        form = self.forms[-1]
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            if kind in ("submit", "button") and name in form.fields:
                return
            form.fields[name] = attributes.get("value", "on" if kind == "checkbox" else "")
        elif tag == "textarea" and name:
            form.fields[name] = ""
        elif tag == "select" and name:
            self._select = name
            form.selects[name] = []
        elif tag == "option" and self._select:
            value = attributes.get("value", "")
            form.selects[self._select].append(value)
            if "selected" in attributes or self._select not in form.fields:
                form.fields[self._select] = value

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def parse_forms(html: str) -> list[Form]:
    """Every <form> on a page with its fields' default values (pure; unit-tested)."""
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def find_form(html: str, *, with_field: str) -> Form:
    for form in parse_forms(html):
        if with_field in form.fields or with_field in form.selects:
            return form
    raise LookupError(f"no form with a {with_field!r} field on the page")


def parse_set_cookie(header: str) -> tuple[str, str] | None:
    """(name, value) of one Set-Cookie header; None for a deletion (pure; unit-tested)."""
    pair = header.split(";", 1)[0].strip()
    name, sep, value = pair.partition("=")
    if not sep or not name:
        return None
    attributes = header.lower()
    if value in ('""', "") or "max-age=0" in attributes or "expires=thu, 01 jan 1970" in attributes:
        return (name.strip(), "")
    return (name.strip(), value.strip())


class WebSession:
    """One signed-in (or not) visitor: a keep-alive connection plus a cookie jar."""

    def __init__(self, base_url: str, timeout: float = 30) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items() if value)

    def request(
        self, method: str, path: str, form: dict | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {"Host": f"{self.host}:{self.port}", "User-Agent": USER_AGENT}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A sync worker closes keep-alive connections: reconnect once.
                self.connection.close()
                self.connection = http.client.HTTPConnection(
                    self.host, self.port, timeout=self.timeout
                )
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            parsed = parse_set_cookie(header)
            if parsed:
                self.cookies[parsed[0]] = parsed[1]
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
        return response.status, dict(response.getheaders()), data

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, form: dict):
        return self.request("POST", path, form)

    def submit(self, page_path: str, *, with_field: str, values: dict) -> tuple[int, dict, bytes]:
        """Load a page, fill the form that has `with_field`, post it (like a person would)."""
        status, _headers, body = self.get(page_path)
        if status != 200:
            raise RuntimeError(f"GET {page_path} answered {status}")
        form = find_form(body.decode("utf-8", "replace"), with_field=with_field)
        fields = {**form.fields, **values}
        return self.post(form.action or page_path, fields)

    def close(self) -> None:
        self.connection.close()


def sign_in(base_url: str, email: str, password: str, login_path: str = "/auth/login"):
    """A WebSession signed in over HTTP as `email` (raises if the app refuses)."""
    session = WebSession(base_url)
    status, headers, body = session.submit(
        login_path, with_field="password", values={"email": email, "password": password}
    )
    if status not in (302, 303) or "/auth/login" in headers.get("Location", "/auth/login"):
        text = body.decode("utf-8", "replace")[:300]
        raise RuntimeError(f"sign-in as {email} failed: {status} {text}")
    return session
