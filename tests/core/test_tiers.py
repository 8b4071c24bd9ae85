"""The core tier stays framework-free: `pytest tests/core` never imports Flask."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
THIS_TEST = "tests/core/test_tiers.py::test_the_core_tier_runs_without_flask"


def test_the_core_tier_runs_without_flask(tmp_path):
    """A fresh interpreter runs tests/core; afterwards no Flask module may be loaded.

    In this process Flask may already be imported by other tiers, so only a new process
    can tell; this test deselects itself there, or it would start itself again.
    """
    report = tmp_path / "web_modules.json"
    env = {**os.environ, "NO_FLASK_REPORT": str(report)}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "tests.support.no_flask",
            "--deselect",
            THIS_TEST,
            "tests/core",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert " passed" in run.stdout
    assert json.loads(report.read_text()) == []
