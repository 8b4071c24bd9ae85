"""CI's dependency audit never reports a clean result for packages it could not audit."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "audit_dependencies", ROOT / ".ci/audit_dependencies.py"
)
audit = importlib.util.module_from_spec(_spec)
sys.modules["audit_dependencies"] = audit  # dataclasses look their module up there
_spec.loader.exec_module(audit)

SKIP = "Dependency not found on PyPI and could not be audited: flask (3.1.3)"


def text(verdict) -> str:
    return "\n".join(verdict.lines)


def test_nothing_audited_is_a_loud_skip_not_a_clean_result():
    verdict = audit.judge({"dependencies": [{"name": "flask", "skip_reason": SKIP}], "fixes": []})
    assert verdict.exit_code == 0
    assert "DEPENDENCY AUDIT SKIPPED" in text(verdict)
    assert SKIP in text(verdict)
    assert "clean" not in text(verdict).lower()
    assert "No known vulnerabilities" not in text(verdict)


def test_no_report_at_all_is_a_skip_with_the_reason():
    verdict = audit.judge(None, "pip-audit exited 1: connection refused")
    assert verdict.exit_code == 0
    assert "SKIPPED" in text(verdict)
    assert "connection refused" in text(verdict)
    assert "NOT a clean result" in text(verdict)


def test_a_finding_fails_ci_even_when_other_packages_were_skipped():
    report = {
        "dependencies": [
            {"name": "flask", "skip_reason": SKIP},
            {
                "name": "jinja2",
                "version": "3.0.0",
                "vulns": [{"id": "GHSA-xxxx", "fix_versions": ["3.1.6"]}],
            },
        ]
    }
    verdict = audit.judge(report)
    assert verdict.exit_code == 1
    assert "VULNERABLE: jinja2 3.0.0: GHSA-xxxx (fix: 3.1.6)" in text(verdict)


def test_partly_audited_names_both_halves():
    report = {
        "dependencies": [
            {"name": "flask", "skip_reason": SKIP},
            {"name": "jinja2", "version": "3.1.6", "vulns": []},
        ]
    }
    verdict = audit.judge(report)
    assert verdict.exit_code == 0
    assert "1 package(s) audited with no known vulnerabilities; 1 NOT audited" in text(verdict)


def test_all_audited_and_none_found_is_clean():
    report = {"dependencies": [{"name": "jinja2", "version": "3.1.6", "vulns": []}]}
    verdict = audit.judge(report)
    assert verdict.exit_code == 0
    assert text(verdict) == "dependency audit: clean (1 packages audited)"
