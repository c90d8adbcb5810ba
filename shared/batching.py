"""Cutting a stream of items into batches, with several flushes in flight.

A :class:`Batcher` collects items as they arrive and hands them to ``flush`` in batches:
a batch starts as soon as ``max_items`` are waiting (or items of ``max_weight`` in all,
e.g. rows, when a ``weight`` is given), or ``max_wait_s`` after the oldest waiting item
arrived, whichever comes first. At most ``in_flight`` flushes run at once;
while all are busy items keep collecting, so a deep backlog is taken in full batches
(large transactions) and a trickle in small, prompt ones (adaptive batching). Nothing
here knows about messages or databases, so the timing rules are tested on their own.

:meth:`Batcher.room` is the back-pressure: a producer awaits it before taking an item, so
the items waiting never weigh much more than a limit, whatever the source offers (a
broker's prefetch counts messages, not the rows in them).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from shared.logging import get_logger

T = TypeVar("T")
log = get_logger(__name__)


class Batcher(Generic[T]):
    def __init__(
        self,
        flush: Callable[[list[T]], Awaitable[None]],
        *,
        max_items: int,
        max_wait_s: float,
        in_flight: int,
        max_weight: int | None = None,
        weight: Callable[[T], int] = lambda _: 1,
    ) -> None:
        if max_items < 1 or in_flight < 1 or max_wait_s < 0:
            raise ValueError("max_items and in_flight must be >= 1, max_wait_s >= 0")
        self._flush = flush
        self.max_items = max_items
        self.max_wait_s = max_wait_s
        self.in_flight = in_flight
        self.max_weight = max_weight
        self._weigh = weight
        self._waiting: list[tuple[float, int, T]] = []  # (arrival time, weight, item)
        self._weight = 0  # of the items waiting
        self._running: set[asyncio.Task[None]] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._closing = False
        self._taken = asyncio.Event()  # set whenever waiting items leave for a flush

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @property
    def running(self) -> int:
        return len(self._running)

    def add(self, item: T) -> None:
        """Take one item; a flush starts now or is timed, see the module docstring."""
        weight = self._weigh(item)
        self._waiting.append((asyncio.get_running_loop().time(), weight, item))
        self._weight += weight
        self._schedule()

    async def room(self, weight_limit: int) -> None:
        """Return once the items waiting weigh less than ``weight_limit`` (or on close).

        Call it right before :meth:`add` with no await in between, so concurrent producers
        overshoot the limit by one item at most."""
        while self._weight >= weight_limit and not self._closing:
            self._taken.clear()
            await self._taken.wait()

    async def close(self, timeout: float) -> None:
        """Start no more flushes and wait (up to ``timeout``) for those running. Items
        still waiting are dropped here: their owner must hand them back (for messages,
        closing the channel does)."""
        self._closing = True
        self._taken.set()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._running:
            await asyncio.wait(set(self._running), timeout=timeout)

    def _schedule(self) -> None:
        if self._closing or not self._waiting or len(self._running) >= self.in_flight:
            return  # a running flush calls back here when it ends
        loop = asyncio.get_running_loop()
        due = self._waiting[0][0] + self.max_wait_s - loop.time()
        full = len(self._waiting) >= self.max_items or (
            self.max_weight is not None and self._weight >= self.max_weight
        )
        if full or due <= 0:
            self._start()
        elif self._timer is None:
            self._timer = loop.call_later(due, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._schedule()

    def _start(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        # Up to max_items, and up to max_weight unless a single item outweighs it alone.
        taken = weight = 0
        for _, item_weight, _ in self._waiting[: self.max_items]:
            if taken and self.max_weight is not None and weight + item_weight > self.max_weight:
                break
            taken += 1
            weight += item_weight
        batch = [item for _, _, item in self._waiting[:taken]]
        del self._waiting[:taken]
        self._weight -= weight
        self._taken.set()
        task = asyncio.create_task(self._run(batch))
        self._running.add(task)
        task.add_done_callback(self._finished)
        self._schedule()  # another full batch may be waiting, and a slot free

    async def _run(self, batch: list[T]) -> None:
        try:
            await self._flush(batch)
        except Exception as error:  # the flush settles its items itself; this is a bug
            log.error("batch_flush_crashed", error=repr(error)[:300], items=len(batch))

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._schedule()
