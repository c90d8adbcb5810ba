"""The simulated vendor's receipt callbacks: each delivered message's receipt is due after
a random delay; due receipts are gathered every tick into signed callbacks of up to
``vendor_callback_batch`` per callback URL, and a failed callback is retried with backoff.
"""

from __future__ import annotations

import asyncio
import heapq
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from services.delivery.domain.pacing import backoff
from services.delivery.domain.signature import HEADER, sign
from services.delivery.settings import DeliverySettings
from services.delivery.vendor.registry import Fresh
from shared.logging import get_logger

log = get_logger(__name__)


@dataclass(order=True)
class _Due:
    due: float  # event-loop time
    seq: int
    url: str = field(compare=False)
    receipt: dict[str, Any] = field(compare=False)
    attempts: int = field(compare=False, default=0)


class CallbackDispatcher:
    def __init__(self, settings: DeliverySettings, http: httpx.AsyncClient) -> None:
        self._settings = settings
        self._http = http
        self._rng = random.Random(settings.vendor_seed)
        self._heap: list[_Due] = []
        self._seq = 0
        self._scheduled = asyncio.Event()
        self._slots = asyncio.Semaphore(settings.vendor_callback_concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self.callbacks_sent = 0
        self.receipts_sent = 0
        self.duplicate_callbacks = 0
        self.callbacks_failed = 0
        self.receipts_dropped = 0

    @property
    def pending(self) -> int:
        return len(self._heap) + sum(1 for t in self._tasks if not t.done())

    def schedule(self, url: str, fresh: Sequence[Fresh]) -> None:
        now = asyncio.get_running_loop().time()
        low, high = self._settings.vendor_delay_min_s, self._settings.vendor_delay_max_s
        for message in fresh:
            delay = self._rng.uniform(low, max(low, high))
            receipt = {
                "message_id": message.message_id,
                "status": message.status,
                "at": datetime.fromtimestamp(time.time() + delay, UTC).isoformat(),
                "reason": message.reason,
            }
            self._push(_Due(now + delay, 0, url, receipt))
        self._scheduled.set()

    def _push(self, item: _Due) -> None:
        self._seq += 1
        item.seq = self._seq
        heapq.heappush(self._heap, item)

    async def run(self) -> None:
        """Until cancelled: every tick, send what is due."""
        loop = asyncio.get_running_loop()
        while True:
            if not self._heap:
                self._scheduled.clear()
                await self._scheduled.wait()
            # A fixed tick gathers receipts falling due close together into one callback.
            await asyncio.sleep(self._settings.vendor_tick_s)
            self._dispatch_due(loop.time())

    def _dispatch_due(self, now: float) -> None:
        by_url: dict[str, list[_Due]] = defaultdict(list)
        while self._heap and self._heap[0].due <= now:
            item = heapq.heappop(self._heap)
            by_url[item.url].append(item)
        size = self._settings.vendor_callback_batch
        for url, items in by_url.items():
            for start in range(0, len(items), size):
                task = asyncio.create_task(self._callback(url, items[start : start + size]))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _callback(self, url: str, items: list[_Due]) -> None:
        async with self._slots:
            ok, permanent = await self._post(url, items)
            if ok and self._rng.random() < self._settings.vendor_duplicate_callback_rate:
                self.duplicate_callbacks += 1
                await self._post(url, items)  # the same receipts again, freshly signed
        if ok:
            return
        if permanent:
            self.receipts_dropped += len(items)
            return
        now = asyncio.get_running_loop().time()
        for item in items:
            item.attempts += 1
            if item.attempts >= self._settings.vendor_callback_max_attempts:
                self.receipts_dropped += 1
                continue
            item.due = now + backoff(item.attempts, base=0.2, cap=10.0, rng=self._rng)
            self._push(item)
        self._scheduled.set()

    async def _post(self, url: str, items: list[_Due]) -> tuple[bool, bool]:
        """One signed callback; (succeeded, failed for good)."""
        body = orjson.dumps({"receipts": [i.receipt for i in items]})
        headers = {
            "content-type": "application/json",
            HEADER: sign(self._settings.vendor_secret, int(time.time()), body),
        }
        try:
            response = await self._http.post(url, content=body, headers=headers)
        except httpx.HTTPError as error:
            self.callbacks_failed += 1
            log.warning("vendor_callback_error", url=url, error=repr(error)[:200])
            return False, False
        if 200 <= response.status_code < 300:
            self.callbacks_sent += 1
            self.receipts_sent += len(items)
            return True, False
        self.callbacks_failed += 1
        log.warning("vendor_callback_refused", url=url, status=response.status_code)
        permanent = 400 <= response.status_code < 500 and response.status_code not in (408, 429)
        return False, permanent
