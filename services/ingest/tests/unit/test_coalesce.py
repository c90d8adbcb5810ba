"""Small requests share events: each request whole in one event, answered only once that
event is confirmed, and all of a flush's requests refused when it is not."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from services.ingest.coalesce import Coalescer
from shared.envelope import Envelope, new_event


class FakeBroker:
    """Confirms each publish when told to, so a test decides what is in flight."""

    def __init__(self) -> None:
        self.published: list[Envelope] = []
        self.confirms: list[asyncio.Future[None]] = []

    async def publish(self, envelope: Envelope) -> None:
        self.published.append(envelope)
        confirm: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.confirms.append(confirm)
        await confirm


def event(ids: list[str], actors: list[dict[str, Any]] | None = None) -> Envelope:
    orders = [
        {"order_id": i, "customer_id": "c", "amount": "1.00", "ordered_at": "2026-01-01T00:00:00Z"}
        for i in ids
    ]
    payload: dict[str, Any] = {"orders": orders}
    if actors:
        payload["actors"] = actors
    return new_event("order.submitted", payload, "test")


def ids(envelope: Envelope) -> list[str]:
    return [o["order_id"] for o in envelope.payload["orders"]]


async def until(check: Callable[[], bool], what: str) -> None:
    """Let the loop run until ``check`` holds (a deadline, not a sleep)."""
    deadline = asyncio.get_running_loop().time() + 2
    while not check():
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0)


async def test_requests_arriving_while_a_publish_is_in_flight_share_the_next_event() -> None:
    broker = FakeBroker()
    coalescer: Coalescer[str] = Coalescer(event, broker.publish, max_items=1000, in_flight=1)
    first = asyncio.create_task(coalescer.submit(["a"]))
    await until(lambda: len(broker.published) == 1, "first published at once, alone")
    later = [asyncio.create_task(coalescer.submit([f"b{i}", f"c{i}"])) for i in range(5)]
    await asyncio.sleep(0)
    assert len(broker.published) == 1 and not any(t.done() for t in [first, *later])
    broker.confirms[0].set_result(None)
    assert await first == str(broker.published[0].event_id)
    await until(lambda: len(broker.published) == 2, "the waiting five in one event")
    assert ids(broker.published[1]) == [
        item for i in range(5) for item in (f"b{i}", f"c{i}")
    ]  # each request whole, in arrival order
    assert not any(t.done() for t in later)  # not before the confirm
    broker.confirms[1].set_result(None)
    assert set(await asyncio.gather(*later)) == {str(broker.published[1].event_id)}


async def test_an_unconfirmed_event_refuses_every_request_in_it() -> None:
    broker = FakeBroker()
    coalescer: Coalescer[str] = Coalescer(event, broker.publish, max_items=1000, in_flight=1)
    blocker = asyncio.create_task(coalescer.submit(["x"]))
    await until(lambda: len(broker.published) == 1, "blocker published")
    failing = [asyncio.create_task(coalescer.submit([str(i)])) for i in range(3)]
    await asyncio.sleep(0)
    broker.confirms[0].set_result(None)
    await blocker
    await until(lambda: len(broker.published) == 2, "the three published together")
    broker.confirms[1].set_exception(ConnectionError("no confirm"))
    for task in failing:
        with pytest.raises(ConnectionError):
            await task


async def test_an_event_holds_at_most_max_items_and_requests_are_never_split() -> None:
    broker = FakeBroker()
    coalescer: Coalescer[str] = Coalescer(event, broker.publish, max_items=5, in_flight=1)
    blocker = asyncio.create_task(coalescer.submit(["x"]))
    await until(lambda: len(broker.published) == 1, "blocker published")
    tasks = [asyncio.create_task(coalescer.submit([f"{i}a", f"{i}b"])) for i in range(4)]
    await asyncio.sleep(0)
    broker.confirms[0].set_result(None)
    await until(lambda: len(broker.published) == 2, "second event")
    broker.confirms[1].set_result(None)
    await until(lambda: len(broker.published) == 3, "third event")
    broker.confirms[2].set_result(None)
    await asyncio.gather(blocker, *tasks)
    sizes = [len(ids(e)) for e in broker.published]
    assert sizes == [1, 4, 4]  # two requests (4 items) fit in 5, a third would not


async def test_an_event_names_who_sent_its_rows_once_per_run_of_requests() -> None:
    broker = FakeBroker()
    coalescer: Coalescer[str] = Coalescer(event, broker.publish, max_items=1000, in_flight=1)
    blocker = asyncio.create_task(coalescer.submit(["x"], {"sub": "key:7", "email": None}))
    await until(lambda: len(broker.published) == 1, "blocker published")
    ana = {"sub": "g-ana", "email": "ana@example.com"}
    key = {"sub": "key:9", "email": None}
    tasks = [
        asyncio.create_task(coalescer.submit(items, who))
        for items, who in ((["a1", "a2"], ana), (["a3"], ana), (["k1"], key), (["a4"], ana))
    ]
    await asyncio.sleep(0)
    broker.confirms[0].set_result(None)
    await until(lambda: len(broker.published) == 2, "the four in one event")
    broker.confirms[1].set_result(None)
    await asyncio.gather(blocker, *tasks)
    assert broker.published[0].payload["actors"] == [{"sub": "key:7", "email": None, "items": 1}]
    assert ids(broker.published[1]) == ["a1", "a2", "a3", "k1", "a4"]
    assert broker.published[1].payload["actors"] == [
        {"sub": "g-ana", "email": "ana@example.com", "items": 3},
        {"sub": "key:9", "email": None, "items": 1},
        {"sub": "g-ana", "email": "ana@example.com", "items": 1},
    ]
