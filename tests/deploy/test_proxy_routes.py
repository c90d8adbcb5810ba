"""Every route prefix the services serve reaches its service through each of the three
proxies in front of them: the dev/preview server (vite), the image's nginx and the
Kubernetes ingress. A route added to a service but not to a proxy works in the service's
tests and 404s in the dashboard (the /api/v1/users routes did, until this test)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("ingest", "segments", "campaigns", "delivery", "stats")


def served_prefixes() -> dict[str, str]:
    """``/api/v1/<first segment>`` -> the service whose OpenAPI document has it."""
    owners: dict[str, str] = {}
    for service in SERVICES:
        document = json.loads((ROOT / "frontend" / "openapi" / f"{service}.json").read_text())
        for path in document["paths"]:
            match = re.match(r"^(/api/v1/[^/{]+)", path)
            if match:
                owners[match.group(1)] = service
    return owners


def vite_routes() -> dict[str, str]:
    text = (ROOT / "frontend" / "vite.config.ts").read_text()
    return dict(re.findall(r"'(/api/v1/[a-z-]+)': \{ target: (\w+)", text))


def nginx_routes() -> dict[str, str]:
    text = (ROOT / "deploy" / "docker" / "nginx" / "default.conf.template").read_text()
    found = re.findall(
        r"location \^~ (/api/v1/[a-z-]+)\s*\{\s*proxy_pass http://\$\{BEACON_(\w+)_API\}", text
    )
    return {prefix: name.lower() for prefix, name in found}


def ingress_routes() -> dict[str, str]:
    ingress = yaml.safe_load((ROOT / "deploy" / "k8s" / "base" / "ingress.yaml").read_text())
    routes = {}
    for rule in ingress["spec"]["rules"]:
        for item in rule["http"]["paths"]:
            routes[item["path"]] = item["backend"]["service"]["name"].removesuffix("-api")
    return routes


@pytest.mark.parametrize("proxy", [vite_routes, nginx_routes, ingress_routes])
def test_every_served_prefix_reaches_its_service(proxy: object) -> None:
    assert callable(proxy)
    routes = proxy()
    owners = served_prefixes()
    assert "/api/v1/users" in owners  # the prefixes really come from the documents
    wrong = {p: (routes.get(p), s) for p, s in owners.items() if routes.get(p) != s}
    assert not wrong, f"prefix: (routed to, served by) {wrong}"
