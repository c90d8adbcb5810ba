"""Observability as code: the Prometheus Operator objects in deploy/k8s/base/monitoring.yaml.

- a PodMonitor scrapes every Beacon process's /metrics on its port ``http``;
- a ServiceMonitor scrapes RabbitMQ, including its per-queue metrics (``/metrics/detailed``
  with the queue families), which the alerts and the Grafana queue panels need;
- PrometheusRules alert on dead letters, old events, outbox backlog, autoscalers at their
  maximum and the 5xx rate;
- every ``beacon_*`` metric a rule or the Grafana dashboard uses is one the code registers, and
  every ``rabbitmq_detailed_*`` one comes from a family the ServiceMonitor asks for;
- docs/operations.md explains every alert.
"""

from __future__ import annotations

import importlib
import json
import re
from typing import Any

import pytest
from prometheus_client import REGISTRY

from tests.deploy.support import DEPLOY, REPO
from tests.deploy.test_kubernetes import OVERLAYS, matches, objects, of_kind, pod_templates

# rabbitmq_prometheus's detailed families and the metrics each gives.
FAMILIES = {
    "queue_coarse_metrics": (
        "rabbitmq_detailed_queue_messages",
        "rabbitmq_detailed_queue_messages_ready",
        "rabbitmq_detailed_queue_messages_unacked",
        "rabbitmq_detailed_queue_process_reductions_total",
    ),
    "queue_consumer_count": ("rabbitmq_detailed_queue_consumers",),
}


def alerts(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        rule["alert"]: rule
        for r in of_kind(docs, "PrometheusRule").values()
        for group in r["spec"]["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }


def registered_metrics() -> set[str]:
    for module in ("shared.metrics", "services.delivery.metrics", "services.stats.metrics"):
        importlib.import_module(module)
    return set(REGISTRY._names_to_collectors)  # every sample name: _total, _bucket, ...


def metric_names(expr: str) -> set[str]:
    return set(re.findall(r"\b((?:beacon|rabbitmq)_[a-z0-9_]+)", expr))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pod_monitor_scrapes_every_beacon_process(overlay: str) -> None:
    docs = objects(overlay)
    (monitor,) = of_kind(docs, "PodMonitor").values()
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
    assert endpoint["port"] == "http" and endpoint["path"] == "/metrics"
    for name, deployment in of_kind(docs, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        if name == "dashboard":
            assert not matches(monitor["spec"]["selector"], labels)  # nginx: no /metrics
            continue
        assert matches(monitor["spec"]["selector"], labels), name
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert "http" in {p["name"] for p in container["ports"]}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_rabbitmq_per_queue_metrics_are_scraped(overlay: str) -> None:
    docs = objects(overlay)
    (cluster,) = of_kind(docs, "RabbitmqCluster").values()
    assert "rabbitmq_prometheus" in cluster["spec"]["rabbitmq"]["additionalPlugins"]
    monitors = of_kind(docs, "ServiceMonitor")
    monitor = monitors["beacon-rabbitmq"]
    assert (
        monitor["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]
        == (cluster["metadata"]["name"])
    )
    paths = {e["path"]: e for e in monitor["spec"]["endpoints"]}
    assert all(e["port"] == "prometheus" for e in paths.values())
    detailed = paths.get("/metrics/detailed")
    per_object = paths.get("/metrics/per-object")
    assert detailed or per_object, "no per-queue metrics: the queue panels and alerts are empty"
    if detailed:
        assert {"queue_coarse_metrics", "queue_consumer_count"} <= set(detailed["params"]["family"])
    # Prometheus (namespace monitoring) may reach 15692.
    policy = of_kind(docs, "NetworkPolicy")["rabbitmq"]
    assert any(
        any(p["port"] == 15692 for p in rule.get("ports", []))
        and "monitoring" in json.dumps(rule.get("from", []))
        for rule in policy["spec"]["ingress"]
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_alerts_cover_the_failure_modes(overlay: str) -> None:
    found = alerts(objects(overlay))
    expressions = {name: rule["expr"] for name, rule in found.items()}

    def alert_on(pattern: str) -> list[str]:
        return [n for n, e in expressions.items() if re.search(pattern, e)]

    assert alert_on(r'queue=~"\.\+\\\\\.dlq"\}\) > 0'), "dead letters > 0"
    assert alert_on(r"beacon_event_age_seconds_bucket"), "oldest event age"
    assert alert_on(r"beacon_outbox_oldest_unpublished_seconds"), "outbox backlog"
    assert alert_on(r"kube_horizontalpodautoscaler_spec_max_replicas"), "KEDA / HPA at max"
    assert alert_on(r'status=~"5\.\."'), "5xx rate"
    for name, rule in found.items():
        assert rule["labels"]["severity"] in ("warning", "critical"), name
        assert rule["annotations"]["summary"] and rule["annotations"]["runbook"], name
        assert rule["expr"].count("(") == rule["expr"].count(")"), name


def test_every_metric_used_exists() -> None:
    registered = registered_metrics()
    docs = objects("prod")
    monitor = of_kind(docs, "ServiceMonitor")["beacon-rabbitmq"]
    families = {
        f for e in monitor["spec"]["endpoints"] for f in e.get("params", {}).get("family", [])
    }
    scraped = {m for f in families for m in FAMILIES[f]}
    grafana = json.loads((DEPLOY / "grafana" / "beacon.json").read_text())
    used = {
        *(m for rule in alerts(docs).values() for m in metric_names(rule["expr"])),
        *metric_names(json.dumps(grafana)),
    }
    for metric in used:
        if metric.startswith("beacon_"):
            assert metric in registered, f"{metric}: no such metric in the code"
        elif metric.startswith("rabbitmq_detailed_"):
            assert metric in scraped, f"{metric}: not in the families the ServiceMonitor scrapes"


def test_operations_doc_explains_every_alert() -> None:
    text = (REPO / "docs" / "operations.md").read_text()
    section = text[text.index("\n## Alerts") :]
    for name in alerts(objects("prod")):
        assert f"`{name}`" in section, f"docs/operations.md, Alerts: explain {name}"


def test_every_pod_template_is_either_scraped_or_not_beacon() -> None:
    docs = objects("prod")
    (monitor,) = of_kind(docs, "PodMonitor").values()
    for name, template in pod_templates(docs):
        kind = template["metadata"]["labels"].get("beacon.io/kind")
        if kind in ("api", "worker"):
            assert matches(monitor["spec"]["selector"], template["metadata"]["labels"]), name
