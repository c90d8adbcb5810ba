"""Delivery's own Prometheus metrics (served on ``/metrics`` with the shared ones)."""

from __future__ import annotations

from prometheus_client import Counter

MESSAGES_SENT = Counter("beacon_delivery_messages_sent_total", "Messages the vendor accepted (2xx)")
VENDOR_ERRORS = Counter(
    "beacon_delivery_vendor_errors_total", "Failed vendor calls, by kind", ["kind"]
)
RECEIPTS_APPLIED = Counter(
    "beacon_delivery_receipts_applied_total",
    "Receipts by outcome: moved a message, changed nothing, or parked",
    ["outcome"],
)
