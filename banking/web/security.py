"""Response hardening: security headers on every response and ProxyFix behind a proxy."""

from __future__ import annotations

from flask import Flask, Response, abort, request
from werkzeug.middleware.proxy_fix import ProxyFix

from banking.extensions import login_manager

# No inline script or style anywhere: everything comes from /static on this origin.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)
FORM_MIMETYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Set on every response, whatever a view set.
FORCED_HEADERS = (
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
HSTS_HEADER = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def init_app(app: Flask) -> None:
    count = app.config.get("PROXY_FIX_COUNT", 0)
    if count:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count
        )

    # No Flask-Login session protection, on purpose. "strong" did nothing here: it
    # skips permanent sessions (every session is permanent, for the idle timeout) and
    # its fingerprint is the client address, which behind ProxyFix comes from
    # X-Forwarded-For, so a cookie thief could send whatever it needed. Binding to IP or
    # user agent would also sign out phone users whose address changes on every hop.
    # What binds a session instead: Flask-Login's id is the server-side `session_token`
    # (rotated on sign-out, password change or reset, two-factor on/off, a re-auth
    # lockout and admin actions: every copy of the cookie dies), and the idle and
    # absolute limits in banking/web/sessions.py. Tested in
    # tests/security/test_session_binding.py.
    login_manager.session_protection = None
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"

    @app.before_request
    def refuse_nul_bytes() -> None:
        """A NUL byte in the path, query or form is a 400 up front: PostgreSQL text can't
        hold one (the driver raises deep inside a query: a 500), and no browser sends one
        from a typed field. Found by tests/security/test_properties.py."""
        req = request._get_current_object()
        if "\x00" in req.path or any("\x00" in value for _, value in req.args.items(multi=True)):
            abort(400)
        posted = req.method == "POST" and req.mimetype in FORM_MIMETYPES
        if posted and any("\x00" in value for _, value in req.form.items(multi=True)):
            abort(400)

    forced = [(name.lower(), name, value) for name, value in FORCED_HEADERS]
    with_hsts = [*forced, (HSTS_HEADER[0].lower(), *HSTS_HEADER)]

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        # One pass over the response's headers, then appends: Werkzeug's `headers[k] = v`
        # and `setdefault` each scan (and lower-case) every header already set, which
        # cost ~2 % of a cached page's CPU for the same result.
        headers = response.headers
        present = {key.lower() for key, _ in headers.items()}
        if "content-security-policy" not in present:
            headers.add("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        for lowered, name, value in with_hsts if app.config.get("HSTS_ENABLED") else forced:
            if lowered in present:
                headers[name] = value  # replaces what a view set: these never vary
            else:
                headers.add(name, value)
        if "cache-control" not in present and response.mimetype == "text/html":
            # Signed-in pages carry balances: never let a shared cache keep them.
            headers.add("Cache-Control", "no-store")
        return response
