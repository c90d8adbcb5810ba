"""Removing a bench namespace: its schemas, durable queues (with their DLQs), exchanges.

Each step is tried whatever the others do: a cleanup that stops at the first error leaves
the rest behind on a shared server.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import aio_pika

from shared.db import drop_schema
from shared.settings import ServiceSettings


async def delete_namespace(
    mysql_url: str,
    amqp_url: str,
    namespace: str,
    services: Sequence[str],
    queues: Sequence[str],
    exchanges: Sequence[str],
) -> None:
    """Drop the namespace's schemas of ``services``, ``queues`` (and DLQs), ``exchanges``."""
    settings = ServiceSettings(mysql_url=mysql_url, amqp_url=amqp_url, namespace=namespace)
    for service in services:
        try:
            await drop_schema(mysql_url, settings.schema_name(service))
        except Exception as error:
            print(f"could not drop schema of {namespace}: {error!r}", file=sys.stderr)
    try:
        connection = await aio_pika.connect(amqp_url, timeout=10)
    except Exception as error:
        print(f"could not reach RabbitMQ to clean {namespace}: {error!r}", file=sys.stderr)
        return
    async with connection:
        names = [(q, "queue") for base in queues for q in (base, f"{base}.dlq")]
        names += [(x, "exchange") for x in exchanges]
        for name, kind in names:
            channel = await connection.channel()  # a failed delete closes its channel
            try:
                if kind == "queue":
                    await channel.queue_delete(settings.amqp_name(name))
                else:
                    await channel.exchange_delete(settings.amqp_name(name))
            except Exception:
                pass
            finally:
                if not channel.is_closed:
                    await channel.close()
