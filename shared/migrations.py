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
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from shared.db import ensure_schema, make_engine


def upgrade(migrations_dir: Path, mysql_url: str, schema: str) -> None:
    """Create the schema if needed and upgrade it to head (blocking; call outside a loop)."""
    asyncio.run(ensure_schema(mysql_url, schema))
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.attributes["mysql_url"] = mysql_url
    config.attributes["schema"] = schema
    command.upgrade(config, "head")


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
