"""`make test` decides whether the browser tests can run by checking a Chromium binary;
the fixtures must launch that same binary, whichever variable named it."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.e2e.conftest import DEFAULT_CHROMIUM, ROOT, chromium_path


def _make_checks(**env: str) -> str:
    """The Chromium path `make test` tests for (a dry run: nothing is installed or run)."""
    environ = {k: v for k, v in os.environ.items() if k not in ("CHROMIUM", "E2E_CHROMIUM")}
    result = subprocess.run(
        ["make", "-s", "-n", "--no-print-directory", "test"],
        cwd=ROOT,
        env={**environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.split('if [ -x "', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize(
    "env",
    [{}, {"CHROMIUM": "/opt/a/chromium"}, {"E2E_CHROMIUM": "/opt/b/chromium"}],
    ids=["default", "CHROMIUM", "E2E_CHROMIUM"],
)
def test_make_test_and_the_browser_fixture_use_the_same_chromium(env):
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    checked = _make_checks(**env)
    # make exports CHROMIUM to pytest, so the fixture sees exactly what make checked.
    assert chromium_path({**env, "CHROMIUM": checked}) == checked
    assert chromium_path(env) == checked
    assert checked == (env.get("CHROMIUM") or env.get("E2E_CHROMIUM") or DEFAULT_CHROMIUM)
