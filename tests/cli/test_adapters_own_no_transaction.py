"""The admin pages and the commands are adapters: they parse, call one service, and show.

Services own the unit of work (commit with the audit row, roll back on refusal), so a
view or a command that touched the session itself could commit half a change or hide a
refusal's rollback. Reading the sources proves none does, including ones added later.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ADAPTERS = sorted(
    [*(ROOT / "banking" / "web" / "admin").rglob("*.py"), *(ROOT / "banking" / "cli").rglob("*.py")]
)
# The session itself, Flask-SQLAlchemy's shortcuts that use it, and the db object.
FORBIDDEN = re.compile(
    r"db\.session|session\.commit|\.get_or_404|\.first_or_404|from banking\.extensions import db"
)


def test_there_are_adapters_to_check():
    assert len(ADAPTERS) > 10


@pytest.mark.parametrize("path", ADAPTERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_admin_view_or_command_touches_the_session(path: Path):
    hits = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if FORBIDDEN.search(line)
    ]
    assert hits == []
