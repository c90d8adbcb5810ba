"""Prometheus metrics every service exposes on ``/metrics``."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

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
# How old an event is when its consumer gets it (now - occurred_at): consumer lag in time,
# the "oldest message age" alert (deploy/k8s/base/monitoring.yaml).
EVENT_AGE = Histogram(
    "beacon_event_age_seconds",
    "Age of an event (now - occurred_at) when its consumer receives it",
    ["consumer"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200),
)
# The outbox relay's view of its backlog at its last poll: rows waiting (up to one batch) and
# the age of the oldest (0 when drained). A growing age means events are not leaving.
OUTBOX_PENDING = Gauge(
    "beacon_outbox_pending_rows",
    "Unpublished outbox rows seen at the relay's last poll (at most one batch)",
    ["exchange"],
)
OUTBOX_OLDEST_AGE = Gauge(
    "beacon_outbox_oldest_unpublished_seconds",
    "Age of the oldest unpublished outbox row at the relay's last poll (0: none)",
    ["exchange"],
)
