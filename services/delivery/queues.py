"""Delivery's work queue, named once: the worker consumes it (consumers.py) and the requeue
tool declares it before writing work for it (requeue.py), which may not import consumers."""

from __future__ import annotations

from services.delivery.domain import events as ev
from shared.topology import Binding, QueueSpec

SEND = QueueSpec("delivery.send", (Binding("delivery", (ev.SEND_REQUESTED,)),))
