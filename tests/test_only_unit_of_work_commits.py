"""Only ``shared.db`` (its unit of work) commits: no other module of shared/, services/ or
simulators/ calls ``.commit()`` or opens its own transaction with ``.begin()``.

The one exception is ``shared.migrations``: Alembic's schema upgrade commits its DDL and
its advisory lock, outside any unit of work of data. Tests are not scanned (fixtures set
up rows as they please).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("shared", "services", "simulators")
ALLOWED = {Path("shared/db.py"), Path("shared/migrations.py")}
FORBIDDEN = {"commit", "begin"}


def transaction_calls(source: str) -> list[tuple[int, str]]:
    """(line, method) of every ``<anything>.commit()`` / ``<anything>.begin()`` call."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in FORBIDDEN
        ):
            found.append((node.lineno, node.func.attr))
    return found


def production_modules() -> list[Path]:
    return [
        path.relative_to(ROOT)
        for top in SCANNED
        for path in sorted((ROOT / top).rglob("*.py"))
        if "tests" not in path.relative_to(ROOT).parts
    ]


def test_the_scan_finds_a_commit() -> None:
    source = "async def f(conn):\n    await conn.commit()\n    async with engine.begin():\n        pass\n"
    assert transaction_calls(source) == [(2, "commit"), (3, "begin")]
    assert transaction_calls("conn.begin_nested()\nsession.commit_later()\n") == []


def test_only_shared_db_commits() -> None:
    modules = production_modules()
    assert Path("shared/db.py") in modules and Path("services/campaigns/service.py") in modules
    offenders = {
        f"{path}:{line} .{method}()"
        for path in modules
        if path not in ALLOWED
        for line, method in transaction_calls((ROOT / path).read_text())
    }
    assert offenders == set(), "commit through shared.db.unit_of_work instead"
