"""The Celery entry point: `celery -A banking.worker worker` and `celery -A banking.worker beat`.

It builds the Flask app from APP_ENV like wsgi.py does (the same config, the same
refusals), so the worker's tasks run with the web's settings and services.
"""

import sys

from config import ConfigError

try:
    from banking.app import create_app

    flask_app = create_app()
except ConfigError as exc:
    print(f"banking worker: refusing to start: {exc}", file=sys.stderr)  # noqa: T201
    sys.exit(3)

celery = flask_app.extensions["celery"]
