"""KEDA scales workers on what their queues really hold, and can reach RabbitMQ at all.

- Every RabbitMQ trigger uses the management API (``protocol: http``) in ``QueueLength`` mode
  without excluding unacknowledged messages: over AMQP KEDA counts ready messages only, so a
  queue whose long items are all held by busy workers looks empty and nothing scales.
- The host KEDA is given (Secret ``beacon-keda``, made by ``k8s-secrets.sh`` for the overlay's
  namespace) is fully qualified, ``<svc>.<namespace>.svc.cluster.local``: KEDA's operator runs
  in its own namespace and resolves a short name there (kedacore/keda#5442).
- Its user may read the management API (tag ``management``) and nothing else; the broker's
  NetworkPolicy lets KEDA's namespace reach port 15672.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from tests.deploy.support import script_secrets
from tests.deploy.test_kubernetes import OVERLAYS, objects, of_kind


def rabbitmq_triggers(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        trigger
        for scaled in of_kind(docs, "ScaledObject").values()
        for trigger in scaled["spec"]["triggers"]
        if trigger["type"] == "rabbitmq"
    ]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_rabbitmq_trigger_counts_unacked_messages_over_http(overlay: str) -> None:
    triggers = rabbitmq_triggers(objects(overlay))
    assert len(triggers) >= 10
    for trigger in triggers:
        metadata = trigger["metadata"]
        assert metadata["protocol"] == "http", metadata["queueName"]
        assert metadata["mode"] == "QueueLength", metadata["queueName"]
        assert metadata.get("excludeUnacknowledged", "false") == "false", metadata["queueName"]
        assert "host" not in metadata and "hostFromEnv" not in metadata  # from the Secret


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_rabbitmq_trigger_host_is_fully_qualified(
    overlay: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    docs = objects(overlay)
    auths = of_kind(docs, "TriggerAuthentication")
    namespace = next(iter(auths.values()))["metadata"]["namespace"]
    secrets = script_secrets(namespace, str(tmp_path_factory.mktemp(f"secrets-{overlay}")))
    (cluster,) = of_kind(docs, "RabbitmqCluster").values()
    for trigger in rabbitmq_triggers(docs):
        auth = auths[trigger["authenticationRef"]["name"]]
        (ref,) = [r for r in auth["spec"]["secretTargetRef"] if r["parameter"] == "host"]
        url = urlsplit(secrets[ref["name"]][ref["key"]])
        assert url.scheme in ("http", "https")
        assert url.hostname == f"{cluster['metadata']['name']}.{namespace}.svc.cluster.local"
        assert url.port == 15672  # the management API
        assert unquote(url.path.removeprefix("/")) == "/"  # the vhost
        users = {
            u["name"]: u
            for u in json.loads(secrets["beacon-rabbitmq-users"]["users.json"])["users"]
        }
        assert url.username in users and url.password == users[url.username]["password"]
        assert (
            "management" in users[url.username]["tags"]
            or "monitoring" in users[url.username]["tags"]
        )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_keda_may_reach_the_management_api(overlay: str) -> None:
    policy = of_kind(objects(overlay), "NetworkPolicy")["rabbitmq"]
    allowed = [
        port["port"]
        for rule in policy["spec"]["ingress"]
        if any(
            peer.get("namespaceSelector", {})
            .get("matchLabels", {})
            .get("kubernetes.io/metadata.name")
            == "keda"
            for peer in rule.get("from", [])
        )
        for port in rule.get("ports", [])
    ]
    assert 15672 in allowed
