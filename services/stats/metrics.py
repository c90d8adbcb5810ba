"""Stats' own Prometheus metrics (on ``/metrics`` with the shared ones)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

WS_CLIENTS = Gauge("beacon_stats_ws_clients", "WebSocket clients connected to this process")
WS_DISCONNECTS = Counter(
    "beacon_stats_ws_disconnects_total", "WebSocket clients gone, by reason", ["reason"]
)
WS_MESSAGES = Counter("beacon_stats_ws_messages_total", "Messages pushed to clients", ["type"])
HUB_SNAPSHOTS = Counter(
    "beacon_stats_hub_snapshots_total", "Snapshots the hub received, by outcome", ["outcome"]
)
