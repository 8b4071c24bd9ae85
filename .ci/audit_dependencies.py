"""Run pip-audit and say plainly what it did: audited clean, found something, or skipped.

pip-audit prints "No known vulnerabilities found" even when it could audit nothing (no
vulnerability database reachable: every package "could not be audited"), and exits 0,
so CI used to report a clean audit it never made. This wrapper reads pip-audit's JSON:

- any vulnerability in an audited package fails CI (exit 1), listed with its fixes;
- packages that could not be audited are named, with the reason, under a loud
  "AUDIT SKIPPED" banner; no clean result is printed for them;
- only when every package was audited and none has a finding does it say "clean".

Being unable to reach a vulnerability database is a fact of the machine, not a fault
of the change under test, so a skipped audit does not fail CI: it is reported, loudly.

Usage: python .ci/audit_dependencies.py requirements.txt [pip-audit binary]
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field

BANNER = "!" * 78


@dataclass
class Verdict:
    exit_code: int
    lines: list[str] = field(default_factory=list)


def judge(report: dict | None, error: str = "") -> Verdict:
    """What to print and how to exit, from pip-audit's JSON (None if it produced none)."""
    if report is None:
        return Verdict(
            0,
            [
                BANNER,
                "DEPENDENCY AUDIT SKIPPED: pip-audit produced no report.",
                f"Why: {error.strip()[-500:] or 'unknown (no output)'}",
                "Nothing was audited: this is NOT a clean result.",
                BANNER,
            ],
        )
    dependencies = report.get("dependencies", [])
    skipped = [d for d in dependencies if d.get("skip_reason")]
    audited = [d for d in dependencies if not d.get("skip_reason")]
    vulnerable = [d for d in audited if d.get("vulns")]
    lines: list[str] = []
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fix released"
            lines.append(
                f"VULNERABLE: {dep['name']} {dep.get('version', '?')}: {vuln['id']} (fix: {fixes})"
            )
    if skipped:
        lines += [
            BANNER,
            f"DEPENDENCY AUDIT SKIPPED for {len(skipped)} of {len(dependencies)} packages:"
            " they could not be audited, so nothing is known about them.",
        ]
        lines += [f"  skipped: {d['name']}: {d['skip_reason']}" for d in skipped]
        lines.append(BANNER)
    if vulnerable:
        lines.append(f"dependency audit: FAILED, {len(vulnerable)} vulnerable package(s)")
        return Verdict(1, lines)
    if not audited:
        lines.append("dependency audit: SKIPPED (no package could be audited)")
    elif skipped:
        lines.append(
            f"dependency audit: {len(audited)} package(s) audited with no known "
            f"vulnerabilities; {len(skipped)} NOT audited (see above)"
        )
    else:
        lines.append(f"dependency audit: clean ({len(audited)} packages audited)")
    return Verdict(0, lines)


def run_pip_audit(requirements: str, binary: str) -> tuple[dict | None, str]:
    result = subprocess.run(  # noqa: S603 - our own venv's pip-audit, fixed arguments
        [binary, "-r", requirements, "-f", "json", "--progress-spinner", "off"],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        return json.loads(result.stdout), result.stderr
    except json.JSONDecodeError:
        noise = "\n".join(
            line for line in result.stderr.splitlines() if not line.startswith("WARNING: Location")
        )
        return None, f"pip-audit exited {result.returncode}: {noise}"


def main(argv: list[str]) -> int:
    requirements = argv[1] if len(argv) > 1 else "requirements.txt"
    binary = argv[2] if len(argv) > 2 else "pip-audit"
    report, error = run_pip_audit(requirements, binary)
    verdict = judge(report, error)
    print("\n".join(verdict.lines))  # noqa: T201 - a CI step's report
    return verdict.exit_code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
