"""``beacon dlq`` on the real RabbitMQ: messages parked both ways (by a service's code, by
RabbitMQ's own dead-lettering), listed with counts, shown, replayed to where they were first
published, purged."""

from __future__ import annotations

import aio_pika
import orjson
import pytest
from faststream.rabbit import RabbitBroker

from beacon_cli.dlq import QUEUES
from shared.topology import DLX, declare_queue
from tests.cli.support import cli
from tests.support.stack import Stack, known_queues
from tests.support.wait import eventually

pytestmark = pytest.mark.integration


def test_the_cli_knows_every_consumer_queue() -> None:
    assert set(QUEUES) >= {spec.name for spec in known_queues()}


def body(n: int) -> bytes:
    return orjson.dumps(
        {
            "event_id": f"00000000-0000-0000-0000-00000000000{n}",
            "type": "order.submitted",
            "payload": {"n": n},
        }
    )


async def test_list_show_replay_purge(stack: Stack) -> None:
    name = stack.settings.amqp_name
    persistence = next(s for s in known_queues() if s.name == "ingest.persistence")
    broker = RabbitBroker(stack.amqp_url)
    await broker.connect()
    try:
        await declare_queue(broker, stack.settings, persistence)
    finally:
        await broker.stop()

    connection = await aio_pika.connect(stack.amqp_url)
    async with connection:
        channel = await connection.channel()
        dlx = await channel.get_exchange(name(DLX))
        ingest = await channel.get_exchange(name("beacon.ingest"))
        # 1: parked by a service's code, with the original exchange and key recorded.
        await dlx.publish(
            aio_pika.Message(
                body(1),
                headers={
                    "x-beacon-reason": "ValueError: bad amount",
                    "x-beacon-queue": "ingest.persistence",
                    "x-beacon-exchange": name("beacon.ingest"),
                    "x-beacon-routing-key": "order.submitted",
                },
            ),
            routing_key=name("ingest.persistence"),
        )
        # 2: dead-lettered by RabbitMQ itself (rejected without requeue): x-death etc.
        await ingest.publish(aio_pika.Message(body(2)), routing_key="order.submitted")
        queue = await channel.declare_queue(name("ingest.persistence"), passive=True)
        rejected = await queue.get(timeout=5)
        await rejected.reject(requeue=False)
        # 3: parked without its origin (an older service): only --direct can replay it.
        await dlx.publish(
            aio_pika.Message(
                body(3),
                headers={"x-beacon-reason": "no handler", "x-beacon-queue": "ingest.persistence"},
            ),
            routing_key=name("ingest.persistence"),
        )

        env = stack.env
        listed = cli("dlq", "list", env=env)
        assert listed.returncode == 0, listed.stderr
        assert "ingest.persistence" in listed.stdout and "3 parked in total" in listed.stdout

        shown = cli("dlq", "show", "ingest.persistence", env=env)
        assert shown.returncode == 0, shown.stderr
        assert "ValueError: bad amount" in shown.stdout and "rejected" in shown.stdout
        assert "3 parked in total" in cli("dlq", "list", env=env).stdout  # show took none

        replayed = cli("dlq", "replay", "ingest.persistence", "--yes", env=env)
        assert replayed.returncode == 1  # one could not be replayed, and it says so
        assert "2 replayed" in replayed.stdout and "try --direct" in replayed.stderr
        arrived = [await queue.get(timeout=5) for _ in range(2)]
        assert sorted(m.body for m in arrived) == [body(1), body(2)]
        for message in arrived:
            assert message.routing_key == "order.submitted"
            assert message.exchange == name("beacon.ingest")
            assert message.headers["x-beacon-replayed"] == 1 and "x-death" not in message.headers
            await message.ack()

        direct = cli("dlq", "replay", "ingest.persistence", "--direct", "--yes", env=env)
        assert direct.returncode == 0 and "1 replayed" in direct.stdout, direct.stderr
        message = await queue.get(timeout=5)
        assert message.body == body(3)
        await message.reject(requeue=False)  # park it again, to purge it

        assert "1 parked in total" in cli("dlq", "list", env=env).stdout
        purged = cli("dlq", "purge", "ingest.persistence", "--yes", env=env)
        assert purged.returncode == 0 and "1 purged" in purged.stdout
        assert "0 parked in total" in cli("dlq", "list", env=env).stdout

        missing = cli("dlq", "show", "nosuch.queue", env=env)
        assert missing.returncode == 1 and "no dead-letter queue" in missing.stderr


async def test_replay_reaches_the_consumer_that_parked_it(stack: Stack) -> None:
    """A poison message parked by the real ingest worker names its origin; a replay puts it
    back in front of that worker, which parks it again (it is still poison), counted."""
    stack.start("ingest", "worker")
    name = stack.settings.amqp_name
    env = stack.env
    connection = await aio_pika.connect(stack.amqp_url)
    async with connection:
        channel = await connection.channel()
        ingest = await channel.get_exchange(name("beacon.ingest"))
        await ingest.publish(aio_pika.Message(b"not an envelope"), routing_key="order.submitted")

        async def parked() -> int:
            dlq = await channel.declare_queue(name("ingest.persistence.dlq"), passive=True)
            return int(dlq.declaration_result.message_count or 0)

        await eventually(parked, lambda n: n == 1, timeout=30, what="the worker parks it")
        shown = cli("dlq", "show", "ingest.persistence", "--headers", env=env)
        assert shown.returncode == 0, shown.stderr
        assert "bad envelope" in shown.stdout
        assert f"{name('beacon.ingest')} / order.submitted" in shown.stdout

        replayed = cli("dlq", "replay", "ingest.persistence", "--yes", env=env)
        assert replayed.returncode == 0 and "1 replayed" in replayed.stdout, replayed.stderr

        async def replay_count() -> int | None:
            dlq = await channel.declare_queue(name("ingest.persistence.dlq"), passive=True)
            message = await dlq.get(fail=False)
            if message is None:
                return None
            await message.nack(requeue=True)
            return int((message.headers or {}).get("x-beacon-replayed", 0))

        await eventually(
            replay_count,
            lambda n: n == 1,
            timeout=30,
            what="the worker parks the replayed message again",
        )
