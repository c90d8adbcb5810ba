"""Small write requests that arrive together share one event and one publisher confirm.

A shop posting orders one at a time makes one request per order; publishing each as its
own persistent, confirmed message costs RabbitMQ, the API and the worker per message, and
that, not the order, was most of the work. So requests of a few items are collected
(``shared.batching.Batcher``: a flush starts as soon as one of ``in_flight`` is free, so a
lone request waits for no one, and requests that arrive while all flushes are busy go
together in the next) and published as ONE ``*.submitted`` event. Each request is still
accepted whole or not at all: its items are all in that one event, and it is answered 202
only once RabbitMQ confirmed it (or 503 when it did not). Requests sharing an event share
its ``event_id`` in their answers. The event names who sent its rows (``actors``: one
entry per run of requests by the same caller, with its item count): per request, not per
row.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from shared.batching import Batcher
from shared.envelope import Envelope

M = TypeVar("M")


Actor = dict[str, Any]  # shared.events.Actor as a dict: {"sub", "email"}


@dataclass(slots=True)
class _Request(Generic[M]):
    items: Sequence[M]
    accepted: asyncio.Future[str]  # the event id, once confirmed
    actor: Actor | None = None


def actor_runs(requests: Sequence[_Request[M]]) -> list[dict[str, Any]] | None:
    """``shared.events.SubmittedBy`` entries: who sent the next ``items`` rows, in order
    (consecutive requests by one caller share an entry). None when no request names one."""
    runs: list[dict[str, Any]] = []
    for request in requests:
        actor = request.actor
        if actor is None or not request.items:
            continue
        if runs and runs[-1]["sub"] == actor["sub"]:
            runs[-1]["items"] += len(request.items)
        else:
            runs.append(
                {"sub": actor["sub"], "email": actor.get("email"), "items": len(request.items)}
            )
    return runs or None


class Coalescer(Generic[M]):
    """Publishes the items of concurrent requests as one event per flush."""

    def __init__(
        self,
        event: Callable[[list[M], list[dict[str, Any]] | None], Envelope],
        publish: Callable[[Envelope], Awaitable[Any]],
        *,
        max_items: int,
        in_flight: int,
    ) -> None:
        """``event`` builds the one event of a flush (from its items and
        :func:`actor_runs`); ``publish`` returns once RabbitMQ
        confirmed it and raises otherwise (the requests of the flush then all fail)."""
        self._event = event
        self._publish = publish
        self._batcher: Batcher[_Request[M]] = Batcher(
            self._flush,
            max_items=max_items,
            max_wait_s=0.0,
            in_flight=in_flight,
            max_weight=max_items,
            weight=lambda request: len(request.items),
        )

    async def submit(self, items: Sequence[M], actor: Actor | None = None) -> str:
        """The id of the event that carried ``items`` (sent by ``actor``), once
        confirmed; raises as ``publish`` did."""
        accepted: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._batcher.add(_Request(items, accepted, actor))
        return await accepted

    async def _flush(self, requests: list[_Request[M]]) -> None:
        try:
            envelope = self._event(
                [item for r in requests for item in r.items], actor_runs(requests)
            )
            await self._publish(envelope)
        except Exception as error:
            for request in requests:
                if not request.accepted.done():  # a caller that gave up cancelled it
                    request.accepted.set_exception(error)
            return
        for request in requests:
            if not request.accepted.done():
                request.accepted.set_result(str(envelope.event_id))
