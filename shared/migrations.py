"""Alembic, run per service against the service's own schema.

Each service keeps an ordinary Alembic environment in ``services/<name>/migrations``; its
``env.py`` calls :func:`run_env`. :func:`upgrade` is what ``python -m services.<name>
migrate`` (and every process at start) calls. A MariaDB named lock keeps concurrent starters
(api and worker of one service) from migrating at the same time.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import ResolutionError
from alembic.util import CommandError
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from shared.db import ensure_schema, make_engine


class SchemaBehind(RuntimeError):
    """The schema is older than the code: starting would fail on the first missing column."""


def alembic_config(migrations_dir: Path, mysql_url: str, schema: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.attributes["mysql_url"] = mysql_url
    config.attributes["schema"] = schema
    return config


def check_at_head(migrations_dir: Path, mysql_url: str, schema: str) -> str | None:
    """With migrate-on-start off (a migration Job does the DDL), refuse a schema behind the
    code: raises :class:`SchemaBehind` naming both revisions. A revision the code does not
    know (a newer release's, during a rollback) is returned as a warning, not refused: the
    releases' migrations only add, so older code still runs on it."""
    scripts = ScriptDirectory.from_config(alembic_config(migrations_dir, mysql_url, schema))
    heads = set(scripts.get_heads())

    async def current() -> set[str]:
        engine = make_engine(mysql_url, schema, pool_size=1)
        try:
            async with engine.connect() as conn:
                found = await conn.run_sync(
                    lambda c: MigrationContext.configure(c).get_current_heads()
                )
                return set(found)
        finally:
            await engine.dispose()

    try:
        at = asyncio.run(current())
    except OperationalError as error:  # no such schema: nothing was ever migrated
        raise SchemaBehind(f"schema {schema} cannot be read ({error.orig}); migrate it") from None
    if at == heads:
        return None
    known = {rev for rev in at if _known(scripts, rev)}
    if known != at:
        return f"schema {schema} is at {sorted(at)}, newer than this code's {sorted(heads)}"
    raise SchemaBehind(
        f"schema {schema} is at {sorted(at) or 'nothing'} but this code needs {sorted(heads)}:"
        " run the migration (python -m services.<name> migrate, or the migrate Job) first"
    )


def _known(scripts: ScriptDirectory, revision: str) -> bool:
    try:
        return scripts.get_revision(revision) is not None
    except (CommandError, ResolutionError):
        return False


def upgrade(migrations_dir: Path, mysql_url: str, schema: str) -> None:
    """Create the schema if needed and upgrade it to head (blocking; call outside a loop)."""
    asyncio.run(ensure_schema(mysql_url, schema))
    command.upgrade(alembic_config(migrations_dir, mysql_url, schema), "head")


async def upgrade_async(migrations_dir: Path, mysql_url: str, schema: str) -> None:
    """The same from inside a running event loop (Alembic's env runs its own loop)."""
    await asyncio.to_thread(upgrade, migrations_dir, mysql_url, schema)


def run_env(target_metadata: MetaData) -> None:
    """Body of every service's ``env.py`` (online mode only: we always have the database)."""
    config = context.config
    mysql_url: str = config.attributes["mysql_url"]
    schema: str = config.attributes["schema"]

    def migrate(connection: Connection) -> None:
        lock = f"beacon_migrate_{schema}"[:64]
        connection.execute(text("SELECT GET_LOCK(:n, 120)"), {"n": lock})
        try:
            context.configure(connection=connection, target_metadata=target_metadata)
            with context.begin_transaction():
                context.run_migrations()
            # Commit before releasing the lock: otherwise the next starter can take the lock
            # while alembic_version is not yet committed, and migrate a second time.
            connection.commit()
        finally:
            connection.execute(text("SELECT RELEASE_LOCK(:n)"), {"n": lock})
            connection.commit()

    async def run() -> None:
        engine = make_engine(mysql_url, schema, pool_size=1)
        try:
            async with engine.connect() as conn:
                await conn.run_sync(migrate)
                await conn.commit()
        finally:
            await engine.dispose()

    asyncio.run(run())
