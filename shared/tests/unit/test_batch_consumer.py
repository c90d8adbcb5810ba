"""BatchConsumer on an in-memory unit of work: one commit per batch, duplicates skipped,
a poison message isolated, transient failures handed back, nothing left unacknowledged."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from shared.batch_consumer import BatchConsumer, after_commit
from shared.consumer import RetryLater
from shared.envelope import Envelope, Received, new_event
from shared.events import CustomersPayload
from shared.settings import ServiceSettings

SETTINGS = ServiceSettings(transient_attempts=2)


@dataclass
class Tx:
    claimed: set[str] = field(default_factory=set)
    effects: list[Any] = field(default_factory=list)
    events: list[Envelope] = field(default_factory=list)


@dataclass
class MemoryUnitOfWork:
    """Commits a transaction's claims, effects and events together, or nothing."""

    inbox: set[str] = field(default_factory=set)
    effects: list[Any] = field(default_factory=list)
    outbox: list[Envelope] = field(default_factory=list)
    commits: int = 0
    counted: list[int] = field(default_factory=list)  # by handlers, with after_commit

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        tx = Tx()
        yield tx  # an exception here discards tx
        self.inbox |= tx.claimed
        self.effects += tx.effects
        self.outbox += tx.events
        self.commits += 1

    async def claim(self, conn: Tx, consumer: str, event_ids: Sequence[str]) -> set[str]:
        fresh = {e for e in event_ids if e not in self.inbox} - conn.claimed
        conn.claimed |= fresh
        return fresh

    async def emit(self, conn: Tx, events: Sequence[Envelope]) -> None:
        conn.events += events


@dataclass
class FakeMessage:
    body: bytes
    headers: dict[str, Any] = field(default_factory=dict)
    raw_message: Any = None
    message_id: str | None = None
    correlation_id: str | None = None
    content_type: str | None = None
    outcome: str | None = None
    settled: asyncio.Event = field(default_factory=asyncio.Event)

    async def ack(self) -> None:
        self._settle("acked")

    async def nack(self, requeue: bool = True) -> None:
        self._settle("requeued" if requeue else "dropped")

    def _settle(self, outcome: str) -> None:
        assert self.outcome is None, f"settled twice: {self.outcome}, then {outcome}"
        self.outcome = outcome
        self.settled.set()


@dataclass
class FakeBroker:
    dead: list[tuple[bytes, str]] = field(default_factory=list)

    async def publish(self, body: bytes, **kwargs: Any) -> None:
        self.dead.append((body, kwargs["headers"]["x-beacon-reason"]))


class Failing(Exception):
    """A permanent failure (not transient)."""


class Calls(list[list[int]]):
    """The ``n`` of the envelopes each handler call received."""


TYPE = "customer.submitted"  # any type of the catalogue: payloads are checked on arrival


def item(n: int, *, poison: bool = False) -> Envelope:
    customer = {"customer_id": str(n), "name": "poison" if poison else "ok"}
    return new_event(TYPE, {"customers": [customer]}, "test")


def number(event: Received[CustomersPayload]) -> int:
    return int(event.payload.customers[0]["customer_id"])


def make(
    unit: MemoryUnitOfWork,
    broker: FakeBroker,
    calls: list[list[int]],
    *,
    transient_failures: int = 0,
    max_messages: int = 100,
) -> BatchConsumer:
    failures = {"left": transient_failures}

    async def handle(conn: Tx, envelopes: list[Received[CustomersPayload]]) -> list[Envelope]:
        assert all(isinstance(e.payload, CustomersPayload) for e in envelopes)  # parsed once
        calls.append([number(e) for e in envelopes])
        # e.g. a metric, registered before the batch may fail
        after_commit(lambda: unit.counted.extend(number(e) for e in envelopes))
        if failures["left"]:
            failures["left"] -= 1
            raise RetryLater("database away")
        if any(e.payload.customers[0]["name"] == "poison" for e in envelopes):
            raise Failing("cannot apply")
        conn.effects += [number(e) for e in envelopes]
        stored = [number(e) for e in envelopes]
        return [new_event("thing.stored", {"n": stored}, "test", check_catalogue=False)]

    return BatchConsumer(
        "test.things",
        {(TYPE, 1): cast(Any, handle)},
        unit,
        cast(Any, broker),
        SETTINGS,
        max_messages=max_messages,
        max_wait_s=0.01,
        in_flight=2,
    )


async def deliver(consumer: BatchConsumer, envelopes: list[Envelope]) -> list[FakeMessage]:
    messages = [FakeMessage(e.to_bytes()) for e in envelopes]
    for message in messages:
        await consumer(cast(Any, message))
    await asyncio.wait_for(asyncio.gather(*(m.settled.wait() for m in messages)), 10)
    return messages


async def test_one_commit_per_batch_and_duplicates_skipped() -> None:
    unit, broker, calls = MemoryUnitOfWork(), FakeBroker(), Calls()
    consumer = make(unit, broker, calls)
    done_before = item(0)
    await deliver(consumer, [done_before])
    fresh = [item(n) for n in range(1, 5)]
    # The same event twice in the batch, and one applied by an earlier batch.
    messages = await deliver(consumer, [fresh[0], fresh[1], fresh[0], done_before, *fresh[2:]])
    assert [m.outcome for m in messages] == ["acked"] * 6
    assert unit.commits == 2
    assert calls == [[0], [1, 2, 3, 4]]
    assert sorted(unit.effects) == [0, 1, 2, 3, 4]
    assert len(unit.outbox) == 2


async def test_a_poison_message_is_dead_lettered_alone_and_the_others_stored() -> None:
    unit, broker, calls = MemoryUnitOfWork(), FakeBroker(), Calls()
    consumer = make(unit, broker, calls)
    envelopes = [item(1), item(2), item(3, poison=True), item(4)]
    messages = await deliver(consumer, envelopes)
    assert [m.outcome for m in messages] == ["acked"] * 4  # the poison one after its DLQ copy
    assert sorted(unit.effects) == [1, 2, 4]
    assert len(broker.dead) == 1
    body, reason = broker.dead[0]
    assert body == envelopes[2].to_bytes() and "Failing: cannot apply" in reason
    # The whole batch first, then each message alone.
    assert calls == [[1, 2, 3, 4], [1], [2], [3], [4]]
    assert sorted(unit.counted) == [1, 2, 4]  # the rolled-back whole batch counted nothing


async def test_a_transient_failure_is_retried_in_the_same_batch() -> None:
    unit, broker, calls = MemoryUnitOfWork(), FakeBroker(), Calls()
    consumer = make(unit, broker, calls, transient_failures=1)
    messages = await deliver(consumer, [item(1), item(2)])
    assert [m.outcome for m in messages] == ["acked", "acked"]
    assert calls == [[1, 2], [1, 2]] and unit.commits == 1 and sorted(unit.effects) == [1, 2]
    assert unit.counted == [1, 2]  # once, for the attempt that committed


async def test_a_lasting_transient_failure_hands_the_whole_batch_back() -> None:
    unit, broker, calls = MemoryUnitOfWork(), FakeBroker(), Calls()
    consumer = make(unit, broker, calls, transient_failures=99)
    messages = await deliver(consumer, [item(1), item(2), item(3)])
    assert [m.outcome for m in messages] == ["requeued"] * 3
    assert len(calls) == SETTINGS.transient_attempts  # bounded, never split
    assert unit.commits == 0 and unit.inbox == set() and not broker.dead


async def test_unreadable_or_unknown_messages_are_dead_lettered_at_once() -> None:
    unit, broker, calls = MemoryUnitOfWork(), FakeBroker(), Calls()
    consumer = make(unit, broker, calls)
    bad = FakeMessage(b"{not json")
    unknown_event = new_event(TYPE, {"n": 9}, "test", version=7, check_catalogue=False)
    unknown = FakeMessage(unknown_event.to_bytes())
    misfit = FakeMessage(new_event(TYPE, {"n": 9}, "test", check_catalogue=False).to_bytes())
    for message in (bad, unknown, misfit):
        await consumer(cast(Any, message))
    assert bad.outcome == unknown.outcome == misfit.outcome == "acked"
    assert [reason.split(":")[0] for _, reason in broker.dead] == [
        "bad envelope",
        f"no handler for {TYPE} version 7",
        "ValidationError",
    ]
    assert calls == [] and consumer.batcher.waiting == 0


async def test_many_batches_in_flight_apply_each_event_once() -> None:
    unit, broker, calls = MemoryUnitOfWork(), FakeBroker(), Calls()
    consumer = make(unit, broker, calls, max_messages=7)
    envelopes = [item(n) for n in range(200)]
    redelivered = envelopes + envelopes[::3]  # a third of them twice
    messages = await deliver(consumer, redelivered)
    assert all(m.outcome == "acked" for m in messages)
    assert sorted(unit.effects) == list(range(200))
    assert max(len(c) for c in calls) <= 7
