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
# Batched consumers (shared.batch_consumer): how batches ended, their size and duration.
BATCHES = Counter(
    "beacon_consumer_batches_total",
    "Batches a batched consumer applied: committed, split (retried one by one), requeued, failed",
    ["consumer", "outcome"],
)
BATCH_MESSAGES = Histogram(
    "beacon_consumer_batch_messages",
    "Messages per committed batch",
    ["consumer"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
)
BATCH_SECONDS = Histogram(
    "beacon_consumer_batch_seconds", "Time to apply one batch, retries included", ["consumer"]
)
