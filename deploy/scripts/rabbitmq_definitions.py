"""Write RabbitMQ's definitions file (the topology as code) from the services' own declarations.

    uv run python deploy/scripts/rabbitmq_definitions.py   # write deploy/rabbitmq/definitions.json
                                                          # and its copy in deploy/k8s/base
    uv run python deploy/scripts/rabbitmq_definitions.py --check # exit 1 if the file is stale
    uv run python deploy/scripts/rabbitmq_definitions.py --stdout # print instead of writing
    BEACON_DELIVERY_LIMIT=20 uv run python deploy/scripts/rabbitmq_definitions.py --from-env

Everything comes from ``shared.topology`` and the ``QueueSpec`` constants of each
``services/<name>/consumers.py``: the exchanges ``beacon.<service>`` and ``beacon.dlx``, every
consumer queue with the one argument fixed at creation (its type, quorum), one policy per
consumer queue carrying the arguments that may change (``QueueSpec.policy(settings)``: delivery
limit, dead-lettering, overflow, length limit; change one with ``rabbitmqctl set_policy`` on the
live queue, no redeclaration, nothing deleted), its dead-letter queue and every binding. A
service that finds its queue declared this way uses it as it is (``shared.topology``).
Per-process listener queues (exclusive, auto-delete) are not definitions: each replica
declares its own at start.

Users and permissions are deliberately absent: they carry secrets, so they come from a second
file made at deploy time (deploy/rabbitmq/entrypoint.sh in Compose, a Secret in Kubernetes).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from shared.auth import apikeys  # noqa: E402
from shared.settings import ServiceSettings  # noqa: E402
from shared.topology import DLX, IMMUTABLE_ARGUMENTS, QueueSpec  # noqa: E402

SERVICES = ("ingest", "segments", "campaigns", "delivery", "stats")
OUTPUT = REPO / "deploy" / "rabbitmq" / "definitions.json"
# Kustomize reads files under its own root only, so the Kubernetes base keeps a copy.
OUTPUTS = (OUTPUT, REPO / "deploy" / "k8s" / "base" / "rabbitmq-definitions.json")
VHOST = "/"


def queue_specs() -> list[QueueSpec]:
    """Every durable consumer queue the services declare, as their consumers modules name them."""
    specs: list[QueueSpec] = []
    for service in SERVICES:
        module = importlib.import_module(f"services.{service}.consumers")
        specs.extend(v for v in vars(module).values() if isinstance(v, QueueSpec))
    # Each service's copy of the API keys (shared.auth.apikeys), declared by shared.runtime.
    specs.extend(apikeys.copy_queue(service) for service in apikeys.COPY_SERVICES)
    return sorted(set(specs), key=lambda s: s.name)


FROM_ENV = False  # --from-env: take settings (BEACON_DELIVERY_LIMIT, ...) from the environment


def service_settings(service: str) -> ServiceSettings:
    """The service's own settings class with its defaults (the environment is ignored unless
    --from-env, so the file does not depend on who generates it)."""
    module = importlib.import_module(f"services.{service}.settings")
    classes = [
        v
        for v in vars(module).values()
        if isinstance(v, type) and issubclass(v, ServiceSettings) and v is not ServiceSettings
    ]
    if FROM_ENV:
        return classes[0]() if classes else ServiceSettings()
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("BEACON_")}
    try:
        return classes[0]() if classes else ServiceSettings()
    finally:
        os.environ.update(saved)


def _queue(name: str, durable: bool, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "vhost": VHOST,
        "durable": durable,
        "auto_delete": False,
        "arguments": dict(sorted(arguments.items())),
    }


def _exchange(name: str, kind: str) -> dict[str, Any]:
    return {
        "name": name,
        "vhost": VHOST,
        "type": kind,
        "durable": True,
        "auto_delete": False,
        "internal": False,
        "arguments": {},
    }


def _binding(source: str, queue: str, key: str) -> dict[str, Any]:
    return {
        "source": source,
        "vhost": VHOST,
        "destination": queue,
        "destination_type": "queue",
        "routing_key": key,
        "arguments": {},
    }


POLICY_PRIORITY = 10  # above an operator's catch-all policies (priority 0)


def _policy(queue: str, definition: dict[str, Any]) -> dict[str, Any]:
    return {
        "vhost": VHOST,
        "name": queue,
        "pattern": f"^{re.escape(queue)}$",
        "apply-to": "queues",
        "priority": POLICY_PRIORITY,
        "definition": dict(sorted(definition.items())),
    }


def definitions() -> dict[str, Any]:
    """The definitions document (same shape as ``rabbitmqctl export_definitions``)."""
    exchanges = [_exchange(f"beacon.{s}", "topic") for s in SERVICES] + [_exchange(DLX, "direct")]
    queues: list[dict[str, Any]] = []
    bindings: list[dict[str, Any]] = []
    policies: list[dict[str, Any]] = []
    for spec in queue_specs():
        settings = service_settings(spec.name.split(".")[0])
        queue = spec.queue(settings)
        dlq = spec.dead_letter_queue(settings)
        fixed = {k: v for k, v in (queue.arguments or {}).items() if k in IMMUTABLE_ARGUMENTS}
        queues.append(_queue(queue.name, queue.durable, fixed))
        policies.append(_policy(queue.name, spec.policy(settings)))
        queues.append(_queue(dlq.name, dlq.durable, dlq.arguments or {}))
        bindings.append(_binding(DLX, dlq.name, queue.name))
        for binding in spec.bindings:
            for key in binding.routing_keys:
                bindings.append(_binding(f"beacon.{binding.service}", queue.name, key))
    return {
        "vhosts": [{"name": VHOST}],
        "exchanges": sorted(exchanges, key=lambda e: e["name"]),
        "queues": sorted(queues, key=lambda q: q["name"]),
        "bindings": sorted(
            bindings, key=lambda b: (b["source"], b["destination"], b["routing_key"])
        ),
        "policies": sorted(policies, key=lambda p: p["name"]),
        "parameters": [],
        "global_parameters": [],
    }


def render() -> str:
    return json.dumps(definitions(), indent=2) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    parser.add_argument("--stdout", action="store_true", help="print instead of writing")
    parser.add_argument(
        "--from-env",
        action="store_true",
        help="queue arguments from BEACON_* settings in the environment, not the code's defaults",
    )
    args = parser.parse_args()
    global FROM_ENV
    FROM_ENV = args.from_env
    text = render()
    if args.stdout:
        sys.stdout.write(text)
        return 0
    if args.check:
        stale = [p for p in OUTPUTS if not p.exists() or p.read_text() != text]
        for path in stale:
            print(f"{path.relative_to(REPO)} is stale: run `make rabbitmq-definitions`")
        return 1 if stale else 0
    for path in OUTPUTS:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
