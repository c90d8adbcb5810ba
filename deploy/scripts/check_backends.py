"""Can Beacon reach MariaDB and RabbitMQ? One clear line each if not, and a non-zero exit."""

from __future__ import annotations

import asyncio
import sys

import aio_pika
from sqlalchemy import text

from shared.db import make_engine
from shared.settings import ServiceSettings

START_MARIADB = "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd"
START_RABBITMQ = "rabbitmq-server -detached"


async def mysql_ok(url: str) -> str | None:
    engine = make_engine(url, None, pool_size=1)
    try:
        async with asyncio.timeout(5), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return None
    except Exception as error:
        return f"{type(error).__name__}: {str(error)[:120]}"
    finally:
        await engine.dispose()


async def amqp_ok(url: str) -> str | None:
    try:
        connection = await aio_pika.connect(url, timeout=5)
        await connection.close()
        return None
    except Exception as error:
        return f"{type(error).__name__}: {str(error)[:120]}"


async def main() -> int:
    settings = ServiceSettings()
    mysql, amqp = await asyncio.gather(mysql_ok(settings.mysql_url), amqp_ok(settings.amqp_url))
    if mysql:
        print(f"MariaDB unreachable at BEACON_MYSQL_URL ({mysql}); start it with: {START_MARIADB}")
    if amqp:
        print(f"RabbitMQ unreachable at BEACON_AMQP_URL ({amqp}); start it with: {START_RABBITMQ}")
    return 1 if mysql or amqp else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
