"""deploy/grafana/beacon.json is a Grafana dashboard whose Beacon metrics exist in the code."""

from __future__ import annotations

import json
import re

from tests.deploy.support import DEPLOY, REPO


def defined_metrics() -> set[str]:
    """Names given to prometheus_client metrics in shared/ and services/ (histograms and
    counters also expose _bucket/_total series)."""
    names: set[str] = set()
    for path in [*REPO.glob("shared/*.py"), *REPO.glob("services/*/*.py")]:
        names |= set(
            re.findall(r'(?:Counter|Gauge|Histogram)\(\s*"(beacon_[a-z_]+)"', path.read_text())
        )
    return names


def test_dashboard_queries_existing_metrics() -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "beacon.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert len(exprs) > 15
    known = defined_metrics()
    assert "beacon_http_requests_total" in known
    for expr in exprs:
        for metric in re.findall(r"\bbeacon_[a-z_]+", expr):
            base = re.sub(r"_(bucket|count|sum)$", "", metric)
            assert metric in known or base in known, f"{metric} is not a metric of the services"
    titles = " ".join(p["title"] for p in dashboard["panels"])
    for must in ("p95", "Dead-letter", "Queue depth", "Event age", "Outbox backlog"):
        assert must in titles
