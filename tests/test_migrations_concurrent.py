"""Three processes of one service migrating an empty schema at once (issue 14).

Every process migrates at start; a replica set starting together races on the named lock in
``shared.migrations``. The version row must be committed before the lock is released, or a
second starter finds no version and runs the first migration again (``table exists``).
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from services.delivery.store.tables import metadata
from tests.support.stack import Stack

ROOT = Path(__file__).resolve().parents[1]


async def test_three_migrators_at_once_all_succeed(stack: Stack) -> None:
    env = {**os.environ, **stack.env}

    async def migrate() -> tuple[int, bytes]:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services.delivery",
            "migrate",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
        return process.returncode or 0, output

    results = await asyncio.gather(migrate(), migrate(), migrate())
    for code, output in results:
        assert code == 0, output.decode(errors="replace")[-3000:]

    head = ScriptDirectory(str(ROOT / "services" / "delivery" / "migrations")).get_current_head()
    assert await stack.rows("delivery", "SELECT version_num FROM alembic_version") == [(head,)]
    async with stack.db("delivery").connect() as conn:
        tables = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
    assert set(metadata.tables) <= tables
