"""The customer and auth views stay adapters: no database session, no other blueprint.

Read from the sources (AST), so a view that starts committing, or a blueprint that
reaches into another one, fails here rather than in review. Services own the unit of
work (`banking.services.*` commit or roll back); a view parses, calls one service,
renders.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "banking" / "web"
BLUEPRINTS = ("accounts", "admin", "auth")
SESSION_CALLS = {"commit", "rollback", "flush", "add", "execute", "scalar", "scalars", "get"}


def _modules(*packages: str) -> list[Path]:
    return sorted(p for pkg in packages for p in (WEB / pkg).rglob("*.py"))


def _session_uses(path: Path) -> list[str]:
    """Every `db`, `db.session` or `<x>.session.<write/read>` reference in the module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module == "banking.extensions":
            found += [f"imports db (line {node.lineno})" for a in node.names if a.name == "db"]
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "session"
            and isinstance(node.value, ast.Name)
            and node.value.id == "db"
        ):
            found.append(f"db.session (line {node.lineno})")
        if (
            isinstance(node, ast.Attribute)
            and node.attr in SESSION_CALLS
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "session"
        ):
            found.append(f"session.{node.attr} (line {node.lineno})")
    return found


@pytest.mark.parametrize(
    "path",
    [*_modules("auth", "accounts"), WEB / "guards.py"],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_customer_and_auth_views_never_touch_the_database_session(path):
    assert _session_uses(path) == []


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_a_blueprint_never_imports_another(blueprint):
    others = [f"banking.web.{name}" for name in BLUEPRINTS if name != blueprint]
    crossing = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in _modules(blueprint)
        for name in _imported(path)
        if any(name == other or name.startswith(other + ".") for other in others)
    }
    assert crossing == set()


def test_access_guards_live_together_outside_the_blueprints():
    """One `customer_required`, beside `admin_required`: every customer view uses it."""
    from banking.web import guards
    from banking.web.accounts import routes, schedules, transfer_views

    assert guards.customer_required.__module__ == "banking.web.guards"
    for module in (routes, schedules, transfer_views):
        assert module.customer_required is guards.customer_required
