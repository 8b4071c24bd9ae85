"""The WSGI entry point for gunicorn (`gunicorn wsgi:app`) and `flask --app wsgi`."""

import sys

from config import ConfigError

try:
    from banking.app import create_app

    app = create_app()
except ConfigError as exc:
    # One line, no traceback: an operator should see exactly what to fix.
    print(f"banking: refusing to start: {exc}", file=sys.stderr)  # noqa: T201
    sys.exit(3)
