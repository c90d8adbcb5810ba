"""deploy/k8s renders offline with ``kubectl kustomize`` for every overlay, every built-in object
validates against the Kubernetes schemas (kubernetes-validate, strict), the custom resources
against the schemas of crd_schemas.py, and the objects fit together: names, selectors, probes,
ports, autoscalers, the Ingress's path prefixes, per-service database users, no Secrets."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from functools import cache
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.deploy.crd_schemas import SCHEMAS
from tests.deploy.support import DEPLOY, REPO

OVERLAYS = ("dev", "prod")
K8S_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
SERVICES = {"ingest": 8001, "segments": 8002, "campaigns": 8003, "delivery": 8004, "stats": 8005}
# The contract's path prefixes and who serves them.
ROUTES = {
    "/api/v1/customers": "ingest-api",
    "/api/v1/orders": "ingest-api",
    "/api/v1/imports": "ingest-api",
    "/api/v1/segments": "segments-api",
    "/api/v1/unsubscribe": "segments-api",
    "/api/v1/suppressions": "segments-api",
    "/api/v1/campaigns": "campaigns-api",
    "/api/v1/auth": "campaigns-api",
    "/api/v1/keys": "campaigns-api",
    "/api/v1/users": "campaigns-api",
    "/api/v1/receipts": "delivery-api",
    "/api/v1/webhooks": "delivery-api",
    "/api/v1/communications": "delivery-api",
    "/api/v1/stats": "stats-api",
    "/": "dashboard",
}
SECRETS = {f"beacon-{s}-db" for s in SERVICES} | {
    "beacon-migrator-db",
    "beacon-amqp",
    "beacon-vendor",
    "beacon-rabbitmq-users",
    "beacon-auth",
    "beacon-auth-signing",
    "beacon-keda",
}


@cache
def render(path: str) -> tuple[dict[str, Any], ...]:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is needed to render deploy/k8s (any recent kubectl works offline)"
    done = subprocess.run(
        [kubectl, "kustomize", str(DEPLOY / "k8s" / path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return tuple(d for d in yaml.safe_load_all(done.stdout) if d)


def objects(overlay: str) -> list[dict[str, Any]]:
    return [*render(f"overlays/{overlay}"), *render(f"overlays/{overlay}/migrate")]


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def procfile() -> dict[str, list[str]]:
    lines = (DEPLOY / "Procfile").read_text().splitlines()
    return {n.strip(): c.split() for n, c in (line.split(":", 1) for line in lines if ":" in line)}


def pod_templates(docs: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for d in docs:
        if d["kind"] in ("Deployment", "Job"):
            yield d["metadata"]["name"], d["spec"]["template"]


def matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions", []):
        has = labels.get(expr["key"])
        if expr["operator"] == "In" and has not in expr["values"]:
            return False
        if expr["operator"] == "NotIn" and has in expr["values"]:
            return False
        if expr["operator"] == "Exists" and has is None:
            return False
    return True


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_validates(overlay: str) -> None:
    checked = 0
    for doc in objects(overlay):
        schema = SCHEMAS.get((doc["apiVersion"], doc["kind"]))
        if schema is not None:
            jsonschema.validate(doc, schema)
        else:
            for version in K8S_VERSIONS:
                kubernetes_validate.validate(doc, version, strict=True)
        checked += 1
    assert checked > 40


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_process_has_a_deployment(overlay: str) -> None:
    deployments = of_kind(objects(overlay), "Deployment")
    for name, command in procfile().items():
        if name == "ui":
            continue  # `make up` serves the build with vite preview; here the dashboard image
        if name == "mail":
            continue  # `make up`'s demo mail sink: a cluster sends to a real SMTP server
        if name == "vendor" and overlay == "prod":
            assert name not in deployments  # the real vendor replaces the simulator
            continue
        assert name in deployments, f"no Deployment for {name}"
        container = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        assert container["command"] == command
    assert "dashboard" in deployments


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_probes_ports_and_resources(overlay: str) -> None:
    for name, deployment in of_kind(objects(overlay), "Deployment").items():
        spec = deployment["spec"]
        assert spec["selector"]["matchLabels"]["app.kubernetes.io/component"] == name
        assert matches(spec["selector"], spec["template"]["metadata"]["labels"])
        container = spec["template"]["spec"]["containers"][0]
        assert container["readinessProbe"]["httpGet"]["port"] == "http"
        assert container["livenessProbe"]["httpGet"]["port"] == "http"
        assert container["resources"]["requests"] and container["resources"]["limits"]
        assert container["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        if name == "dashboard":
            continue
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz" or name == "vendor"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        if container["command"][2] == "simulators.vendor":
            service, mode = "vendor", "vendor"
        else:
            service, mode = container["command"][2].split(".")[1], container["command"][3]
        port = {
            "api": SERVICES.get(service, 0),
            "worker": SERVICES.get(service, 0) + 100,
            "vendor": 8009,
        }[mode]
        assert container["ports"] == [{"name": "http", "containerPort": port}]
        if mode in ("api", "worker"):
            assert "replicas" not in spec, f"{name}: the HPA or KEDA owns the replica count"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services_pdbs_and_policies_select_pods(overlay: str) -> None:
    docs = objects(overlay)
    templates = dict(pod_templates(docs))
    deployments = of_kind(docs, "Deployment")
    for name, service in of_kind(docs, "Service").items():
        if service["spec"].get("type") == "ExternalName":
            continue
        selected = [
            n
            for n, t in templates.items()
            if matches({"matchLabels": service["spec"]["selector"]}, t["metadata"]["labels"])
        ]
        assert selected == [name], (name, selected)
        ports = {p["name"] for p in templates[name]["spec"]["containers"][0]["ports"]}
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= ports
    for name, pdb in of_kind(docs, "PodDisruptionBudget").items():
        if name == "beacon-rabbitmq":
            continue
        assert name in deployments and matches(
            pdb["spec"]["selector"], templates[name]["metadata"]["labels"]
        )
    for name, policy in of_kind(docs, "NetworkPolicy").items():
        selector = policy["spec"]["podSelector"]
        # Pods Beacon does not template: RabbitMQ's (the operator's), cert-manager's solver.
        if selector and not re.search(r"beacon-rabbitmq|http01-solver", json.dumps(selector)):
            assert any(matches(selector, t["metadata"]["labels"]) for t in templates.values()), name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_autoscalers_target_the_right_deployments(overlay: str) -> None:
    docs = objects(overlay)
    deployments = of_kind(docs, "Deployment")
    definitions = json.loads((DEPLOY / "rabbitmq" / "definitions.json").read_text())
    queues = {q["name"] for q in definitions["queues"]}
    hpas = of_kind(docs, "HorizontalPodAutoscaler")
    assert set(hpas) == {f"{s}-api" for s in SERVICES}
    least = 3 if overlay == "prod" else 1  # several replicas in prod, always
    for name, hpa in hpas.items():
        assert hpa["spec"]["minReplicas"] >= least
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name,
        }
        assert name in deployments
    scaled = of_kind(docs, "ScaledObject")
    assert set(scaled) == {f"{s}-worker" for s in SERVICES}
    consumed: set[str] = set()
    for name, obj in scaled.items():
        assert obj["spec"]["scaleTargetRef"]["name"] == name and name in deployments
        assert least <= obj["spec"]["minReplicaCount"] <= obj["spec"]["maxReplicaCount"]
        for trigger in obj["spec"]["triggers"]:
            if trigger["type"] != "rabbitmq":
                continue
            queue = trigger["metadata"]["queueName"]
            assert queue in queues and queue.split(".")[0] == name.removesuffix("-worker")
            assert trigger["authenticationRef"]["name"] in of_kind(docs, "TriggerAuthentication")
            consumed.add(queue)
    # <service>.api_keys: the copy of the API keys, a trickle consumed by the API processes
    # (which the HPAs scale).
    workers_queues = {q for q in queues if not q.endswith((".dlq", ".api_keys"))}
    assert consumed == workers_queues, "a queue no worker scales on"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingress_routes_the_contract_prefixes(overlay: str) -> None:
    docs = objects(overlay)
    (ingress,) = of_kind(docs, "Ingress").values()
    routes = {
        p["path"]: p["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for p in rule["http"]["paths"]
    }
    assert routes == ROUTES
    services = of_kind(docs, "Service")
    for name in routes.values():
        assert name in services
    annotations = ingress["metadata"]["annotations"]
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 60  # WebSocket


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_credentials_come_from_secrets_per_service(overlay: str) -> None:
    docs = objects(overlay)
    assert not of_kind(docs, "Secret"), "Secrets are created out of band, never rendered"
    used: set[str] = set()
    for name, template in pod_templates(docs):
        container = template["spec"]["containers"][0]
        refs = [e["secretRef"]["name"] for e in container.get("envFrom", []) if "secretRef" in e]
        used |= set(refs)
        if name == "beacon-migrate":
            assert "beacon-migrator-db" in refs
        elif name not in ("vendor", "dashboard"):
            service = name.split("-")[0]
            assert [r for r in refs if r.endswith("-db")] == [f"beacon-{service}-db"]
        for env in container.get("env", []):
            assert "value" not in env or not re.search(r"PASSWORD|SECRET|_URL", env["name"])
    config = of_kind(docs, "ConfigMap")["beacon-config"]["data"]
    assert not {"BEACON_MYSQL_URL", "BEACON_AMQP_URL", "BEACON_VENDOR_SECRET"} & set(config)
    (cluster,) = of_kind(docs, "RabbitmqCluster").values()
    used.add(
        cluster["spec"]["override"]["statefulSet"]["spec"]["template"]["spec"]["volumes"][1][
            "secret"
        ]["secretName"]
    )
    used.add(
        of_kind(docs, "TriggerAuthentication")["beacon-rabbitmq"]["spec"]["secretTargetRef"][0][
            "name"
        ]
    )
    assert used <= SECRETS, used - SECRETS
    script = (DEPLOY / "scripts" / "k8s-secrets.sh").read_text()  # creates every one of them
    assert "beacon-$user-db" in script and "for user in migrator" in script
    for name in (
        "beacon-amqp",
        "beacon-vendor",
        "beacon-rabbitmq-users",
        "beacon-auth",
        "beacon-keda",
    ):
        assert f"apply_secret {name}" in script
    assert "apply_secret beacon-auth-signing" in script


def test_rabbitmq_cluster_loads_the_topology() -> None:
    docs = list(render("overlays/prod"))
    (cluster,) = of_kind(docs, "RabbitmqCluster").values()
    assert cluster["spec"]["replicas"] == 3
    assert (
        "load_definitions = /etc/rabbitmq/definitions.d"
        in cluster["spec"]["rabbitmq"]["additionalConfig"]
    )
    topology = of_kind(docs, "ConfigMap")["beacon-rabbitmq-definitions"]["data"]["definitions.json"]
    assert json.loads(topology) == json.loads(
        (DEPLOY / "rabbitmq" / "definitions.json").read_text()
    )


def tracked_files() -> list[str]:
    done = subprocess.run(
        ["git", "ls-files", "deploy", "docs"], cwd=REPO, capture_output=True, text=True
    )
    return done.stdout.split()


def test_no_secret_value_in_the_repository() -> None:
    """No Secret manifest with data, no credentials in URLs but the documented development ones
    (the local test images' beacon/beacon and RabbitMQ's guest/guest)."""
    allowed = {"guest:guest", "beacon:beacon", "root@"}
    url_credentials = re.compile(r"://([^/\s:@]+):([^/\s@]+)@")
    for path in tracked_files():
        text = (REPO / path).read_text(errors="replace")
        if path.endswith((".yaml", ".yml")):
            for doc in yaml.safe_load_all(text):
                if isinstance(doc, dict) and doc.get("kind") == "Secret":
                    assert not doc.get("data") and not doc.get("stringData"), path
        for user, password in url_credentials.findall(text):
            if f"{user}:{password}" in allowed or re.match(r"^[<${]", password):
                continue
            pytest.fail(f"{path}: credentials in a URL ({user}:{password[:3]}...)")
