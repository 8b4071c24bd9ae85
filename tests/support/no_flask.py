"""pytest plugin: report which web-framework modules a run imported.

tests/core/test_tiers.py runs `pytest tests/core -p tests.support.no_flask` in a fresh
process; at the end of that run this writes the names of every imported module of
Flask, its extensions or Werkzeug to the file named by $NO_FLASK_REPORT. An empty list
proves the core tier (and the domain code it tests) runs without the web stack.
"""

from __future__ import annotations

import json
import os
import sys

WEB_STACK = ("flask", "werkzeug")


def web_modules() -> list[str]:
    """Imported modules of Flask, flask_* extensions and Werkzeug, sorted."""
    return sorted(
        name for name in sys.modules if name.split(".")[0] in WEB_STACK or name.startswith("flask_")
    )


def pytest_sessionfinish(session, exitstatus) -> None:
    path = os.environ.get("NO_FLASK_REPORT")
    if path:
        with open(path, "w", encoding="utf-8") as report:
            json.dump(web_modules(), report)
