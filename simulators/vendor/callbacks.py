"""The simulated vendor's receipt callbacks: each delivered message's receipt is due after
a random delay; due receipts are gathered every tick into signed callbacks of up to
``vendor_callback_batch`` per callback URL. A callback that fails for a while (network
error, 5xx, 408, 429) is retried with jittered exponential backoff (tenacity), up to
``vendor_callback_max_attempts`` attempts; one refused for good (any other 4xx), or out of
attempts, drops its receipts, as a real vendor gives up.
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
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from shared.logging import get_logger
from shared.signature import HEADER, sign
from simulators.vendor.registry import Fresh
from simulators.vendor.settings import VendorSettings

log = get_logger(__name__)

BACKOFF_INITIAL_S = 0.2
BACKOFF_MAX_S = 10.0


class _Unavailable(Exception):
    """The callback failed in a way worth retrying."""


class _Refused(Exception):
    """The callback was refused for good: retrying would change nothing."""


@dataclass(order=True)
class _Due:
    due: float  # event-loop time
    seq: int
    url: str = field(compare=False)
    receipt: dict[str, Any] = field(compare=False)


class CallbackDispatcher:
    def __init__(self, settings: VendorSettings, http: httpx.AsyncClient) -> None:
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
            self._seq += 1
            heapq.heappush(self._heap, _Due(now + delay, self._seq, url, receipt))
        self._scheduled.set()

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
                receipts = [i.receipt for i in items[start : start + size]]
                task = asyncio.create_task(self._callback(url, receipts))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _callback(self, url: str, receipts: list[dict[str, Any]]) -> None:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._settings.vendor_callback_max_attempts),
            wait=wait_exponential_jitter(
                multiplier=BACKOFF_INITIAL_S, max=BACKOFF_MAX_S, jitter=BACKOFF_INITIAL_S
            ),
            retry=retry_if_exception_type(_Unavailable),
        )
        try:
            async for attempt in retrying:
                with attempt:
                    # The slot is held for the request only, not across the backoff.
                    async with self._slots:
                        await self._post(url, receipts)
        except (_Refused, RetryError):
            self.receipts_dropped += len(receipts)
            return
        if self._rng.random() < self._settings.vendor_duplicate_callback_rate:
            self.duplicate_callbacks += 1
            # The same receipts again, freshly signed; whether it arrives does not matter.
            async with self._slots:
                try:
                    await self._post(url, receipts)
                except (_Unavailable, _Refused):
                    pass

    async def _post(self, url: str, receipts: list[dict[str, Any]]) -> None:
        """One signed callback; raises :class:`_Unavailable` or :class:`_Refused`."""
        body = orjson.dumps({"receipts": receipts})
        headers = {
            "content-type": "application/json",
            HEADER: sign(self._settings.vendor_secret, int(time.time()), body),
        }
        try:
            response = await self._http.post(url, content=body, headers=headers)
        except httpx.HTTPError as error:
            self.callbacks_failed += 1
            log.warning("vendor_callback_error", url=url, error=repr(error)[:200])
            raise _Unavailable from error
        if 200 <= response.status_code < 300:
            self.callbacks_sent += 1
            self.receipts_sent += len(receipts)
            return
        self.callbacks_failed += 1
        log.warning("vendor_callback_refused", url=url, status=response.status_code)
        if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
            raise _Refused(response.status_code)
        raise _Unavailable(response.status_code)
