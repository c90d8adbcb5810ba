"""Batcher timing rules: size or timer, whichever first; bounded flushes in flight."""

from __future__ import annotations

import asyncio

import pytest

from shared.batching import Batcher


class Recorder:
    """A flush that records its batches and, when gated, holds until released."""

    def __init__(self, *, gated: bool = False) -> None:
        self.batches: list[list[int]] = []
        self.running = 0
        self.most_running = 0
        self.gate = asyncio.Event()
        if not gated:
            self.gate.set()
        self.changed = asyncio.Condition()

    async def __call__(self, batch: list[int]) -> None:
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        async with self.changed:
            self.batches.append(batch)
            self.changed.notify_all()
        await self.gate.wait()
        self.running -= 1
        async with self.changed:
            self.changed.notify_all()

    async def until(self, done: object, timeout: float = 5.0) -> None:
        async def wait() -> None:
            async with self.changed:
                await self.changed.wait_for(done)  # type: ignore[arg-type]

        await asyncio.wait_for(wait(), timeout)


async def test_a_full_batch_starts_at_once_without_waiting_for_the_timer() -> None:
    flush = Recorder()
    batcher = Batcher(flush, max_items=3, max_wait_s=60.0, in_flight=1)
    for i in range(7):
        batcher.add(i)
    await flush.until(lambda: len(flush.batches) == 2)
    assert flush.batches == [[0, 1, 2], [3, 4, 5]]
    assert batcher.waiting == 1  # the seventh waits for more, or for its timer
    await batcher.close(timeout=1)


async def test_a_partial_batch_goes_after_the_wait() -> None:
    flush = Recorder()
    batcher = Batcher(flush, max_items=100, max_wait_s=0.02, in_flight=1)
    batcher.add(1)
    batcher.add(2)
    await flush.until(lambda: len(flush.batches) == 1)
    assert flush.batches == [[1, 2]]


async def test_flushes_in_flight_are_bounded_and_a_backlog_gathers_into_full_batches() -> None:
    flush = Recorder(gated=True)
    batcher = Batcher(flush, max_items=4, max_wait_s=0.0, in_flight=2)
    for i in range(3):
        batcher.add(i)  # each starts a batch of its own while slots are free (wait 0)
    await flush.until(lambda: len(flush.batches) == 2)
    assert flush.batches == [[0], [1]]
    for i in range(3, 12):
        batcher.add(i)  # both slots busy: these gather
    assert batcher.running == 2 and batcher.waiting == 10
    flush.gate.set()
    await flush.until(lambda: sum(len(b) for b in flush.batches) == 12 and flush.running == 0)
    assert flush.most_running == 2
    # Once slots freed, the backlog went out in full batches, in arrival order.
    assert flush.batches[2:] == [[2, 3, 4, 5], [6, 7, 8, 9], [10, 11]]


async def test_a_batch_is_limited_by_weight_but_holds_at_least_one_item() -> None:
    flush = Recorder()
    batcher = Batcher(
        flush, max_items=100, max_wait_s=0.01, in_flight=1, max_weight=10, weight=lambda n: n
    )
    for n in (4, 5, 3, 20, 1):
        batcher.add(n)
    await flush.until(lambda: sum(len(b) for b in flush.batches) == 5)
    assert flush.batches == [[4, 5], [3], [20], [1]]


async def test_room_holds_producers_back_until_waiting_weight_drops_below_the_limit() -> None:
    flush = Recorder(gated=True)
    batcher = Batcher(
        flush, max_items=100, max_wait_s=0.0, in_flight=1, max_weight=10, weight=lambda n: n
    )
    batcher.add(10)  # starts a batch at once and blocks the only slot
    await flush.until(lambda: len(flush.batches) == 1)
    for n in (6, 6):
        await asyncio.wait_for(batcher.room(12), 1)  # 0, then 6 waiting: room
        batcher.add(n)
    producer = asyncio.create_task(batcher.room(12))  # 12 waiting: no room
    await asyncio.sleep(0.05)
    assert not producer.done() and batcher.waiting == 2
    flush.gate.set()  # the slot frees, a batch takes [6], 6 left waiting: room again
    await asyncio.wait_for(producer, 5)
    await flush.until(lambda: sum(len(b) for b in flush.batches) == 3)
    assert flush.batches == [[10], [6], [6]]


async def test_close_waits_for_running_flushes_and_starts_no_more() -> None:
    flush = Recorder(gated=True)
    batcher = Batcher(flush, max_items=1, max_wait_s=0.0, in_flight=1)
    batcher.add(1)
    batcher.add(2)
    await flush.until(lambda: len(flush.batches) == 1)
    closing = asyncio.create_task(batcher.close(timeout=5))
    await asyncio.sleep(0)
    assert not closing.done()  # still waiting for the running flush
    flush.gate.set()
    await asyncio.wait_for(closing, 5)
    assert flush.batches == [[1]] and batcher.waiting == 1


async def test_a_crashing_flush_does_not_stop_the_batcher() -> None:
    seen: list[list[int]] = []
    second = asyncio.Event()

    async def flaky(batch: list[int]) -> None:
        seen.append(batch)
        if batch == [1]:
            raise RuntimeError("bug")
        second.set()

    batcher = Batcher(flaky, max_items=1, max_wait_s=0.0, in_flight=1)
    batcher.add(1)
    batcher.add(2)
    await asyncio.wait_for(second.wait(), 5)
    assert seen == [[1], [2]]


def test_limits_are_checked() -> None:
    async def nothing(batch: list[int]) -> None:
        return None

    with pytest.raises(ValueError):
        Batcher(nothing, max_items=0, max_wait_s=0.0, in_flight=1)
