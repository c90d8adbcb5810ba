"""Database connections: a pool's overflow is no longer its size again, and docs/scale.md
states the prod overlay's worst case (every database client at its autoscaler's maximum, each
with a full pool and overflow) against MariaDB's ``max_connections``, with a pooler."""

from __future__ import annotations

import re
from typing import Any

from shared.db import DEFAULT_MAX_OVERFLOW, make_engine
from shared.settings import ServiceSettings
from tests.deploy.support import REPO
from tests.deploy.test_kubernetes import objects, of_kind, pod_templates


def test_overflow_is_not_the_pool_size_again() -> None:
    engine = make_engine("mysql+asyncmy://u@127.0.0.1:3306", "beacon_x", pool_size=10)
    pool: Any = engine.sync_engine.pool
    assert pool.size() == 10 and pool._max_overflow < 10


def connections(overlay: str, at: str) -> int:
    """Connections the database may see: Σ replicas × (pool + overflow) of its clients."""
    docs = objects(overlay)
    config = of_kind(docs, "ConfigMap")["beacon-config"]["data"]
    defaults = ServiceSettings()
    pool = int(config.get("BEACON_DB_POOL_SIZE", defaults.db_pool_size))
    overflow = min(pool, DEFAULT_MAX_OVERFLOW)  # what shared.db.make_engine adds
    replicas: dict[str, int] = {}
    for hpa in of_kind(docs, "HorizontalPodAutoscaler").values():
        key = "maxReplicas" if at == "max" else "minReplicas"
        replicas[hpa["spec"]["scaleTargetRef"]["name"]] = hpa["spec"][key]
    for scaled in of_kind(docs, "ScaledObject").values():
        key = "maxReplicaCount" if at == "max" else "minReplicaCount"
        replicas[scaled["spec"]["scaleTargetRef"]["name"]] = scaled["spec"][key]
    total = 0
    for name, template in pod_templates(docs):
        if template["metadata"]["labels"].get("beacon.io/database") != "client":
            continue
        if name == "beacon-migrate":
            continue  # a Job, before the rollout, one connection
        total += replicas[name] * (pool + overflow)
    return total


def test_scale_doc_states_the_prod_worst_case_against_max_connections() -> None:
    text = (REPO / "docs" / "scale.md").read_text()
    worst, least = connections("prod", "max"), connections("prod", "min")
    assert f"{worst:,}" in text, f"docs/scale.md: the prod maximum is {worst:,} connections"
    assert f"{least:,}" in text, f"docs/scale.md: the prod minimum is {least:,} connections"
    assert "max_connections" in text
    assert re.search(r"ProxySQL|MaxScale|RDS Proxy", text)
    assert "max_overflow = pool_size" not in text
