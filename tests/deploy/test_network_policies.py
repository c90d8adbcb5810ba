"""The NetworkPolicies let through what production needs, evaluated as Kubernetes does
(a pod selected by no policy of a type is open for it; once selected, only the union of the
rules that select it is allowed):

- the campaigns API reaches Google's certificate endpoint (HTTPS to a public address) to verify
  sign-ins, and no other API or worker gains that egress;
- cert-manager's HTTP-01 solver pod accepts the challenge from the Ingress controller;
- KEDA's namespace reaches RabbitMQ's management API (test_keda.py) and DNS works everywhere.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from tests.deploy.test_kubernetes import OVERLAYS, matches, objects, of_kind, pod_templates

GOOGLE_CERTS_IP = "142.250.183.10"  # an address of www.googleapis.com
SOLVER_LABELS = {"acme.cert-manager.io/http01-solver": "true"}
SOLVER_PORT = 8089  # cert-manager's acmesolver listens here


def policies(docs: list[dict[str, Any]], labels: dict[str, str], kind: str) -> list[Any]:
    return [
        p
        for p in of_kind(docs, "NetworkPolicy").values()
        if kind in p["spec"].get("policyTypes", ["Ingress"])
        and matches(p["spec"]["podSelector"], labels)
    ]


def port_allowed(rule: dict[str, Any], port: int, named: dict[str, int]) -> bool:
    ports = rule.get("ports")
    if not ports:
        return True
    return any(named.get(p.get("port"), p.get("port")) == port for p in ports)


def egress_allowed(docs: list[dict[str, Any]], labels: dict[str, str], ip: str, port: int) -> bool:
    selected = policies(docs, labels, "Egress")
    if not selected:
        return True
    address = ipaddress.ip_address(ip)
    for policy in selected:
        for rule in policy["spec"].get("egress", []):
            if not port_allowed(rule, port, {}):
                continue
            for peer in rule.get("to", []) or [{}]:
                block = peer.get("ipBlock")
                if peer == {}:
                    return True
                if block and address in ipaddress.ip_network(block["cidr"]):
                    if not any(address in ipaddress.ip_network(e) for e in block.get("except", [])):
                        return True
    return False


def ingress_allowed(
    docs: list[dict[str, Any]],
    labels: dict[str, str],
    from_namespace: str,
    port: int,
    named: dict[str, int] | None = None,
) -> bool:
    selected = policies(docs, labels, "Ingress")
    if not selected:
        return True
    for policy in selected:
        for rule in policy["spec"].get("ingress", []):
            if not port_allowed(rule, port, named or {}):
                continue
            for peer in rule.get("from", []) or [{}]:
                if peer == {}:
                    return True
                namespaces = peer.get("namespaceSelector")
                if namespaces is not None and "podSelector" not in peer:
                    if matches(namespaces, {"kubernetes.io/metadata.name": from_namespace}):
                        return True
    return False


def labels_of(docs: list[dict[str, Any]], deployment: str) -> dict[str, str]:
    return dict(pod_templates(docs))[deployment]["metadata"]["labels"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_campaigns_api_reaches_google_certificates(overlay: str) -> None:
    docs = objects(overlay)
    campaigns = labels_of(docs, "campaigns-api")
    assert egress_allowed(docs, campaigns, GOOGLE_CERTS_IP, 443)
    assert not egress_allowed(docs, campaigns, GOOGLE_CERTS_IP, 80)
    assert not egress_allowed(docs, campaigns, "10.1.2.3", 443)  # public addresses only
    for name in ("ingest-api", "segments-api", "stats-api", "campaigns-worker", "stats-worker"):
        assert not egress_allowed(docs, labels_of(docs, name), GOOGLE_CERTS_IP, 443), name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_acme_http01_solver_accepts_the_ingress_controller(overlay: str) -> None:
    docs = objects(overlay)
    assert ingress_allowed(docs, SOLVER_LABELS, "ingress-nginx", SOLVER_PORT)
    assert not ingress_allowed(docs, SOLVER_LABELS, "default", SOLVER_PORT)


def test_prod_issues_certificates_with_http01() -> None:
    """The prod Ingress asks cert-manager for a certificate: the solver policy is needed."""
    docs = objects("prod")
    (ingress,) = of_kind(docs, "Ingress").values()
    assert "cert-manager.io/cluster-issuer" in ingress["metadata"]["annotations"]
    assert ingress["spec"]["tls"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_dns_is_allowed_everywhere(overlay: str) -> None:
    docs = objects(overlay)
    for name, template in pod_templates(docs):
        labels = template["metadata"]["labels"]
        udp = [
            rule
            for p in policies(docs, labels, "Egress")
            for rule in p["spec"].get("egress", [])
            if any(port.get("port") == 53 for port in rule.get("ports", []))
        ]
        assert udp, name
