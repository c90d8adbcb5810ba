"""Developer tool: ``python -m shared.autogen SERVICE "message"`` writes a new migration.

It compares the service's tables with a scratch schema upgraded to head.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from shared.db import drop_schema, ensure_schema
from shared.settings import ServiceSettings


def main() -> None:
    service, message = sys.argv[1], sys.argv[2]
    settings = ServiceSettings()
    scratch = f"autogen_{service}"
    migrations = Path("services") / service / "migrations"
    asyncio.run(drop_schema(settings.mysql_url, scratch))
    asyncio.run(ensure_schema(settings.mysql_url, scratch))
    config = Config()
    config.set_main_option("script_location", str(migrations))
    config.attributes["mysql_url"] = settings.mysql_url
    config.attributes["schema"] = scratch
    try:
        command.upgrade(config, "head")
        command.revision(config, message=message, autogenerate=True)
    finally:
        asyncio.run(drop_schema(settings.mysql_url, scratch))


if __name__ == "__main__":
    main()
