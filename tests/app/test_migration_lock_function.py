"""Migration 0015 creates the posting path's lock function from a frozen copy of the core's
text: the copy must stay the core's text while 0015 is the newest definition (a change
to the function is a new migration, and this test then points at that one)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sqlalchemy import text

from banking.core.ledger import lock_function

MIGRATION = Path(__file__).parents[2] / "migrations" / "versions" / "0015_ledger_lock_function.py"


def _migration():
    spec = importlib.util.spec_from_file_location("migration_0015", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migrations_copy_is_the_cores_text():
    migration = _migration()
    assert migration.CREATE_SQL == lock_function.CREATE_SQL
    assert migration.DROP_SQL == lock_function.DROP_SQL


def test_the_migrated_database_has_the_function_the_ledger_calls(app, requires_postgres):
    from banking.extensions import db

    # The signature the core calls and drops by (its NAME, its DROP_SQL's argument types).
    signature = f"{lock_function.NAME}(bigint, bigint, bigint, timestamptz)"
    assert signature in lock_function.DROP_SQL
    with app.app_context():
        found = db.session.scalar(text("SELECT to_regprocedure(:s)"), {"s": signature})
    assert found is not None
