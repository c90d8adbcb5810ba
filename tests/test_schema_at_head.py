"""With migrate-on-start off (production: a migration Job with its own user does the DDL),
a process refuses to start on a schema behind its code, naming both revisions, instead of
failing later on the first missing column (issue 25)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory

from shared.db import ensure_schema
from shared.migrations import SchemaBehind, alembic_config, check_at_head, upgrade
from tests.support.stack import Stack

ROOT = Path(__file__).resolve().parents[1]
MIGRATIONS = ROOT / "services" / "stats" / "migrations"


async def start_without_migrating(stack: Stack) -> tuple[int, str]:
    env = {**os.environ, **stack.env, "BEACON_MIGRATE_ON_START": "false"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.stats",
        "api",
        "--port",
        "1",  # never reached: it must refuse before it serves
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, output.decode(errors="replace")


async def test_a_schema_behind_the_code_refuses_to_start(stack: Stack) -> None:
    schema = stack.settings.schema_name("stats")
    code, output = await start_without_migrating(stack)  # the schema does not exist yet
    assert code != 0 and "refusing to start" in output, output[-2000:]

    scripts = ScriptDirectory.from_config(alembic_config(MIGRATIONS, stack.mysql_url, schema))
    head = scripts.get_current_head()
    assert head is not None
    first = scripts.get_base()
    assert first is not None and first != head  # stats has more than one migration
    await ensure_schema(stack.mysql_url, schema)
    await asyncio.to_thread(
        command.upgrade, alembic_config(MIGRATIONS, stack.mysql_url, schema), str(first)
    )
    with pytest.raises(SchemaBehind, match=str(head)):
        await asyncio.to_thread(check_at_head, MIGRATIONS, stack.mysql_url, schema)
    code, output = await start_without_migrating(stack)
    assert code != 0 and str(head) in output, output[-2000:]

    await asyncio.to_thread(upgrade, MIGRATIONS, stack.mysql_url, schema)
    assert await asyncio.to_thread(check_at_head, MIGRATIONS, stack.mysql_url, schema) is None
