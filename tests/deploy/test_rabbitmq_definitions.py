"""deploy/rabbitmq/definitions.json is what the services declare, no more and no less.

The file is imported into one fresh vhost of the test broker; the services' own declaration
code (``shared.topology``) runs against another fresh vhost and then against the imported one.
Both vhosts must then hold exactly the same exchanges, queues and bindings; each queue's
arguments in the code's vhost must be what the imported queue has plus what its policy sets
(the file declares queues with their type only and carries every argument that may change as a
policy), and declaring on top of the imported topology must neither fail nor add anything.

Queue safety: every consumer queue has exactly one policy with the code's changeable arguments;
the policies work on a live queue (a message past the delivery limit is parked in its DLQ); and
no code path deletes a queue: one declared with other arguments, holding an unacknowledged
message and a consumer, is kept as it is.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import aio_pika
import pytest
from faststream.rabbit import RabbitBroker

from shared.settings import ServiceSettings
from shared.topology import (
    IMMUTABLE_ARGUMENTS,
    declare_exchange,
    declare_queue,
    queues_to_keep,
)
from tests.backends import Backends
from tests.deploy.rabbitmqctl import RabbitCtl
from tests.deploy.support import load_script
from tests.support.stack import known_queues

generator = load_script("rabbitmq_definitions")


def test_definitions_file_is_generated_from_the_code() -> None:
    for path in generator.OUTPUTS:
        assert path.read_text() == generator.render(), f"{path}: run `make rabbitmq-definitions`"


def test_definitions_cover_every_queue_spec() -> None:
    names = {q["name"] for q in generator.definitions()["queues"]}
    expected = {s.name for s in known_queues()} | {f"{s.name}.dlq" for s in known_queues()}
    assert names == expected


def vhost_url(amqp_url: str, vhost: str) -> str:
    parts = urlsplit(amqp_url)
    return urlunsplit(parts._replace(path="/" + quote(vhost, safe="")))


def at(settings: ServiceSettings, amqp_url: str) -> ServiceSettings:
    return settings.model_copy(update={"amqp_url": amqp_url})


async def declare_from_code(amqp_url: str) -> None:
    """What every service process declares at start (its exchange, then its queues, keeping
    those that exist with other arguments: shared.runtime)."""
    broker = RabbitBroker(amqp_url)
    await broker.connect()
    try:
        for service in generator.SERVICES:
            await declare_exchange(broker, generator.service_settings(service), service)
        for spec in known_queues():
            settings = at(generator.service_settings(spec.name.split(".")[0]), amqp_url)
            keep = await queues_to_keep(settings, [spec])
            await declare_queue(broker, settings, spec, keep=keep)
    finally:
        await broker.stop()


def policy_for(document: dict[str, Any], queue: str) -> dict[str, Any] | None:
    """The policy RabbitMQ applies to ``queue``: the highest priority one whose pattern
    matches (None if none does)."""
    matching = [
        p
        for p in document["policies"]
        if re.search(p["pattern"], queue) and p["apply-to"] in ("queues", "all", "quorum_queues")
    ]
    return max(matching, key=lambda p: p["priority"], default=None)


def test_every_queue_has_its_changeable_arguments_as_a_policy() -> None:
    document = generator.definitions()
    specs = {s.name: s for s in known_queues()}
    assert len(document["policies"]) == len(specs)
    for queue in document["queues"]:
        name = queue["name"]
        assert set(queue["arguments"]) <= set(IMMUTABLE_ARGUMENTS), name
        assert queue["arguments"]["x-queue-type"] == "quorum", name
        policy = policy_for(document, name)
        if name.endswith(".dlq"):
            assert policy is None, f"{name}: a DLQ has no limits (it must never refuse)"
            continue
        assert policy is not None, f"{name}: no policy"
        spec = specs[name]
        settings = generator.service_settings(name.split(".")[0])
        assert policy["definition"] == spec.policy(settings), name
        assert policy["definition"]["dead-letter-exchange"] == "beacon.dlx"
        assert policy["definition"]["dead-letter-routing-key"] == name
        assert policy["definition"]["delivery-limit"] == settings.delivery_limit
        assert ("max-length" in policy["definition"]) == spec.bounded


def test_no_code_path_deletes_a_queue() -> None:
    """Only test and benchmark clean-up deletes queues (their own namespaces)."""
    root = Path(generator.REPO)
    for folder in ("shared", "services", "beacon_cli", "simulators"):
        for path in (root / folder).rglob("*.py"):
            if "tests" in path.parts:
                continue
            assert "queue_delete" not in path.read_text(), path


def topology(export: dict[str, Any], vhost: str) -> dict[str, Any]:
    """The parts of an export that the definitions file sets, for one vhost, comparable."""

    def rows(kind: str, keys: tuple[str, ...]) -> list[str]:
        return sorted(
            json.dumps({k: item.get(k) for k in keys}, sort_keys=True)
            for item in export.get(kind, [])
            if item.get("vhost") == vhost and not str(item.get("name", "")).startswith("amq.")
        )

    return {
        "exchanges": rows(
            "exchanges", ("name", "type", "durable", "auto_delete", "internal", "arguments")
        ),
        "queues": rows("queues", ("name", "durable", "auto_delete", "arguments")),
        "bindings": rows(
            "bindings", ("source", "destination", "destination_type", "routing_key", "arguments")
        ),
    }


@pytest.mark.integration
async def test_definitions_load_and_match_what_the_services_declare(backends: Backends) -> None:
    ctl = RabbitCtl(backends)
    user = urlsplit(backends.amqp_url).username or "guest"
    run = uuid.uuid4().hex[:8]
    loaded, declared = f"beacon-defs-{run}", f"beacon-code-{run}"
    try:
        for vhost in (loaded, declared):
            ctl.run("add_vhost", vhost)
            ctl.run("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
        document = generator.definitions()
        document.pop("vhosts")
        for kind in ("exchanges", "queues", "bindings", "policies"):
            for item in document[kind]:
                item["vhost"] = loaded
        ctl.run("import_definitions", stdin_file=json.dumps(document))
        imported = topology(ctl.export(), loaded)
        assert len(imported["queues"]) == len(generator.definitions()["queues"])

        await declare_from_code(vhost_url(backends.amqp_url, declared))
        await declare_from_code(vhost_url(backends.amqp_url, loaded))  # 406 if arguments differ
        after = ctl.export()
        assert topology(after, loaded) == imported, "the services declared more than the file"
        from_code = topology(after, declared)
        assert from_code["exchanges"] == imported["exchanges"]
        assert from_code["bindings"] == imported["bindings"]
        # The code's own queues carry every argument; the file's, their type plus a policy.
        effective = []
        for row in imported["queues"]:
            queue = json.loads(row)
            policy = policy_for(generator.definitions(), queue["name"])
            if policy is not None:
                queue["arguments"] |= {f"x-{k}": v for k, v in policy["definition"].items()}
            effective.append(json.dumps(queue, sort_keys=True))
        assert from_code["queues"] == sorted(effective), "the file and the code's queues differ"
    finally:
        for vhost in (loaded, declared):
            try:
                ctl.run("delete_vhost", vhost)
            except AssertionError:
                pass


@pytest.mark.integration
async def test_policies_park_a_message_past_the_delivery_limit(backends: Backends) -> None:
    """The imported queue has no x-arguments but its type: the delivery limit and the
    dead-lettering come from its policy (here with the limit lowered, as an operator would)."""
    ctl = RabbitCtl(backends)
    user = urlsplit(backends.amqp_url).username or "guest"
    vhost = f"beacon-policy-{uuid.uuid4().hex[:8]}"
    queue = "segments.profiles"
    try:
        ctl.run("add_vhost", vhost)
        ctl.run("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
        document = generator.definitions()
        document.pop("vhosts")
        for kind in ("exchanges", "queues", "bindings", "policies"):
            for item in document[kind]:
                item["vhost"] = vhost
        ctl.run("import_definitions", stdin_file=json.dumps(document))
        policy = policy_for(document, queue)
        assert policy is not None
        ctl.run(
            "set_policy",
            "-p",
            vhost,
            "--apply-to",
            "queues",
            "--priority",
            str(policy["priority"]),
            policy["name"],
            policy["pattern"],
            json.dumps(policy["definition"] | {"delivery-limit": 2}),
        )
        connection = await aio_pika.connect(vhost_url(backends.amqp_url, vhost), timeout=10)
        async with connection:
            channel = await connection.channel()
            await channel.default_exchange.publish(
                aio_pika.Message(b"poison", delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                routing_key=queue,
            )
            source = await channel.declare_queue(queue, passive=True)
            for _ in range(10):
                message = await source.get(fail=False, no_ack=False)
                if message is None:
                    break
                await message.nack(requeue=True)
                await asyncio.sleep(0.05)
            dlq = await channel.declare_queue(f"{queue}.dlq", passive=True)
            parked = None
            for _ in range(50):
                parked = await dlq.get(fail=False, no_ack=True)
                if parked is not None:
                    break
                await asyncio.sleep(0.1)
            assert parked is not None and parked.body == b"poison"
    finally:
        try:
            ctl.run("delete_vhost", vhost)
        except AssertionError:
            pass


@pytest.mark.integration
async def test_a_queue_with_other_arguments_is_kept_not_deleted(backends: Backends) -> None:
    """An older Beacon's queue (here: without the delivery limit and dead-lettering) with a
    consumer holding an unacknowledged message, nothing ready: a starting service must use it
    as it is, never delete it (old pods hold messages mid-rollout)."""
    settings = ServiceSettings(amqp_url=backends.amqp_url, namespace=f"keep{uuid.uuid4().hex[:8]}")
    (spec,) = [s for s in known_queues() if s.name == "segments.profiles"]
    name = settings.amqp_name(spec.name)
    old = await aio_pika.connect(backends.amqp_url, timeout=10)
    try:
        channel = await old.channel()
        await channel.set_qos(prefetch_count=1)
        queue = await channel.declare_queue(
            name, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await channel.default_exchange.publish(
            aio_pika.Message(b"in flight", delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=name,
        )
        held: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage] = asyncio.Queue()
        await queue.consume(held.put)
        message = await asyncio.wait_for(held.get(), 10)  # unacked, 0 ready

        keep = await queues_to_keep(settings, [spec])
        assert name in keep

        broker = RabbitBroker(backends.amqp_url)
        await broker.connect()
        try:
            await declare_queue(broker, settings, spec, keep=keep)  # no 406, no delete
        finally:
            await broker.stop()
        await message.ack()  # the old consumer still holds it: the queue is the same one
        probe = await old.channel()
        again = await probe.declare_queue(name, passive=True)
        assert again.declaration_result.consumer_count == 1
    finally:
        cleanup = await old.channel()
        for queue_name in (name, f"{name}.dlq"):
            await cleanup.queue_delete(queue_name)
        await old.close()
