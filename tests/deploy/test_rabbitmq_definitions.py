"""deploy/rabbitmq/definitions.json is what the services declare, no more and no less.

The file is imported into one fresh vhost of the test broker; the services' own declaration
code (``shared.topology``) runs against another fresh vhost and then against the imported one.
Both vhosts must then hold exactly the same exchanges, queues (with every argument) and
bindings, and declaring on top of the imported topology must neither fail (RabbitMQ refuses a
redeclaration with different arguments: PRECONDITION_FAILED) nor add anything.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from faststream.rabbit import RabbitBroker

from shared.topology import declare_exchange, declare_queue
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


async def declare_from_code(amqp_url: str) -> None:
    """What every service process declares at start (its exchange, then its queues)."""
    broker = RabbitBroker(amqp_url)
    await broker.connect()
    try:
        for service in generator.SERVICES:
            await declare_exchange(broker, generator.service_settings(service), service)
        for spec in known_queues():
            settings = generator.service_settings(spec.name.split(".")[0])
            await declare_queue(broker, settings, spec)
    finally:
        await broker.stop()


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
        for kind in ("exchanges", "queues", "bindings"):
            for item in document[kind]:
                item["vhost"] = loaded
        ctl.run("import_definitions", stdin_file=json.dumps(document))
        imported = topology(ctl.export(), loaded)
        assert len(imported["queues"]) == len(generator.definitions()["queues"])

        await declare_from_code(vhost_url(backends.amqp_url, declared))
        await declare_from_code(vhost_url(backends.amqp_url, loaded))  # 406 if arguments differ
        after = ctl.export()
        assert topology(after, loaded) == imported, "the services declared more than the file"
        assert topology(after, declared) == imported, "the file and the services' topology differ"
    finally:
        for vhost in (loaded, declared):
            try:
                ctl.run("delete_vhost", vhost)
            except AssertionError:
                pass
