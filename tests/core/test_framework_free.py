"""The core runs without the web framework: importing all of it loads no Flask at all.

import-linter (`lint-imports`, run by CI) checks the import graph statically; this test
checks what actually happens at run time, in a fresh interpreter, so an import hidden
from the static graph (importlib, a plugin entry point, a transitive import through a
third-party package) is caught too.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import banking.core

ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import importlib, json, pkgutil, sys
import banking.core
names = ["banking.core"] + [
    info.name for info in pkgutil.walk_packages(banking.core.__path__, "banking.core.")
]
for name in names:
    importlib.import_module(name)
loaded = sorted(
    name for name in sys.modules
    if name.split(".")[0] in ("flask", "werkzeug") or name.startswith("flask_")
)
banking_loaded = sorted(
    name for name in sys.modules
    if name.startswith("banking.") and not name.startswith("banking.core")
)
print(json.dumps({"modules": names, "framework": loaded, "banking": banking_loaded}))
"""


def _core_modules() -> list[str]:
    return ["banking.core"] + [
        info.name for info in pkgutil.walk_packages(banking.core.__path__, "banking.core.")
    ]


@pytest.fixture(scope="module")
def probe() -> dict:
    """What a fresh interpreter has loaded after importing every module of the core."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_importing_every_core_module_loads_no_flask_or_werkzeug(probe):
    # The probe really walked the package (a typo in it must not make the test vacuous).
    assert set(probe["modules"]) == set(_core_modules())
    assert "banking.core.ledger" in probe["modules"]
    assert probe["framework"] == [], f"the core pulled in {probe['framework']}"


def test_the_core_loads_no_other_layer_of_the_app(probe):
    assert probe["banking"] == [], f"the core pulled in {probe['banking']}"
