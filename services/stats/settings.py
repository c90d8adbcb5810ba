"""Stats' settings (``BEACON_`` environment variables, see README)."""

from __future__ import annotations

from shared.settings import ServiceSettings

SERVICE = "stats"


class StatsSettings(ServiceSettings):
    stats_port: int = 8005
    stats_worker_port: int = 8105
    # WebSocket push: at most one push per campaign per client per interval (latest wins).
    # The window adds up to its length to every receipt's way to the screen (issue 14's
    # p95 <= 0.5 s): 0.1 s took 0.13 s off the p95 for 0.03 more cores per api process.
    stats_ws_coalesce_s: float = 0.1
    stats_ws_ping_s: float = 15.0
    # A client whose socket does not take one message within this time is disconnected.
    stats_ws_send_timeout_s: float = 5.0
    # Campaigns waiting to be pushed to one client; beyond it the client cannot keep up.
    stats_ws_max_pending: int = 10_000
    # SO_SNDBUF of WebSocket connections (0: kernel default, autotuned up to megabytes).
    stats_ws_socket_send_buffer: int = 256 * 1024
    stats_ws_max_subscribe: int = 1_000
    stats_overview_days: int = 30
