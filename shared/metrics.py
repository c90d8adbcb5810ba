"""Prometheus metrics every service exposes on ``/metrics``."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter(
    "beacon_http_requests_total", "HTTP requests answered", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram("beacon_http_request_seconds", "HTTP request latency", ["method", "route"])
EVENTS_CONSUMED = Counter(
    "beacon_events_consumed_total", "Events handled by a consumer", ["consumer", "type", "outcome"]
)
EVENTS_PUBLISHED = Counter(
    "beacon_events_published_total", "Events published directly (not via outbox)", ["exchange"]
)
OUTBOX_PUBLISHED = Counter(
    "beacon_outbox_published_total", "Outbox rows published with confirms", ["exchange"]
)
