"""The integrity report: each breach phrased for the operator, and how many were listed.

Shared by the checks (`listed` caps how many breaches of one check come back and phrases
each) and by `verify_ledger`, which gathers them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Select
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Breach:
    """One broken invariant on one row, phrased for the operator who has to fix it."""

    check: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"check": self.check, "message": self.message}


@dataclass
class IntegrityReport:
    breaches: list[Breach] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    truncated: dict[str, bool] = field(default_factory=dict)  # check -> more than listed
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.breaches

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "checks": self.checks,
            "totals": self.totals,
            "breaches": [breach.to_dict() for breach in self.breaches],
            "truncated": sorted(name for name, more in self.truncated.items() if more),
        }

    def format(self) -> str:
        """The human-readable report `flask ledger verify` prints."""
        totals = ", ".join(f"{name}={value}" for name, value in self.totals.items())
        lines = [f"Ledger verification: {len(self.checks)} checks ({totals})"]
        if self.ok:
            lines.append("OK: every invariant holds.")
            return "\n".join(lines)
        lines.append(f"FAILED: {len(self.breaches)} breach(es) listed")
        for breach in self.breaches:
            lines.append(f"  [{breach.check}] {breach.message}")
        for name, more in sorted(self.truncated.items()):
            if more:
                lines.append(f"  [{name}] ... and more (only the first ones are listed)")
        return "\n".join(lines)

    __str__ = format


# A check returns the messages of its breaches (at most `limit`) and whether there were more.
Check = Callable[[Session, int], tuple[list[str], bool]]


def listed(
    session: Session, query: Select, limit: int, describe: Callable[..., str]
) -> tuple[list[str], bool]:
    """`describe(*row)` for at most `limit` rows of `query`, and whether there were more."""
    rows = session.execute(query.limit(limit + 1)).all()
    return [describe(*row) for row in rows[:limit]], len(rows) > limit
