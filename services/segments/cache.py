"""The in-memory columnar copy of the profiles that previews read.

Loaded from SQL at start (the source of truth), then kept fresh from ``profile.changed``
events, which carry each changed profile's full state and ``revision``; an event older than
what the cache holds is ignored, so reordering and the overlap between the load and the
events that arrived during it do no harm. Every API replica holds its own copy, fed by its
own exclusive queue.

The load runs in two child processes (``cache_child.py``), each reading and encoding some
of the fields, at once: reading and encoding a million rows is CPU work that would
otherwise hold the event loop (and the GIL) for seconds, and the millions of short-lived
Python strings it makes would leave the API's heap fragmented. Each child sends back its
finished ``ProfileColumns`` (arrays and byte blobs, quick to pickle); the parts are joined
when both read the same customers, and the load is done again in one child when not.
Meanwhile ``state`` is ``"loading"``, previews answer from SQL, and events are kept (the
newest revision per customer) and applied right after the swap, in the same step on the
event loop, so none is lost. A failed load is retried with back-off; SQL keeps answering.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

import numpy as np
from sqlalchemy.ext.asyncio import AsyncEngine
from tenacity import AsyncRetrying, wait_exponential_jitter

from services.segments import cache_spawn
from services.segments.cache_child import LoadedPart
from services.segments.domain import Profile, ProfileColumns
from shared.envelope import Received
from shared.events import ProfilesPayload
from shared.logging import get_logger

log = get_logger(__name__)

State = Literal["loading", "loaded"]


def profile_from_event(item: dict[str, Any]) -> Profile:
    def when(key: str) -> datetime | None:
        value = item.get(key)
        return datetime.fromisoformat(value) if value else None

    return Profile(
        customer_id=item["customer_id"],
        total_spend=Decimal(item["total_spend"]),
        visits=int(item["visits"]),
        last_visit_at=when("last_visit_at"),
        first_visit_at=when("first_visit_at"),
        created_at=when("created_at"),
        name=item.get("name"),
        email=item.get("email"),
        city=item.get("city"),
        phone=item.get("phone"),
    )


Revisions = np.ndarray[Any, np.dtype[np.int64]]


def _part(answer: Any) -> LoadedPart:
    status, result = answer
    if status != "ok":
        raise RuntimeError(f"profile cache load failed in the child: {result}")
    return result  # type: ignore[no-any-return]


async def _load_in_children(url: str) -> tuple[ProfileColumns, Revisions, float]:
    """Every known profile, each row's revision, and the children's CPU seconds."""
    connect = cache_spawn.connect_args(url)
    children = cache_spawn.take_or_spawn(connect)
    async with asyncio.TaskGroup() as group:  # one failing cancels (and kills) the other
        tasks = [group.create_task(cache_spawn.answer(child)) for child in children]
    parts = [_part(task.result()) for task in tasks]
    if len({part.ids_digest for part in parts}) > 1:
        # Customers became known between the parts' reads: one process reads it all.
        child = cache_spawn.spawn(connect, cache_spawn.ALL_FIELDS)
        whole = _part(await cache_spawn.answer(child))
        return whole.columns, whole.revisions, whole.cpu_s
    columns = parts[0].columns
    for part in parts[1:]:
        columns.adopt(part.columns, part.fields)
    # A row's texts and numbers may come from two revisions: keep the older, so a
    # profile.changed event for the newer one is applied, not ignored.
    revisions = np.minimum.reduce([part.revisions for part in parts])
    return columns, revisions, round(sum(part.cpu_s for part in parts), 2)


class ProfileCache:
    def __init__(self) -> None:
        self.columns = ProfileColumns()
        self._revisions = np.zeros(1024, dtype=np.int64)
        self.ready = asyncio.Event()
        self.state: State = "loading"
        # Events that arrive while loading: the newest state per customer, applied after.
        self._pending: dict[Any, dict[str, Any]] = {}

    def describe(self) -> dict[str, Any]:
        """For ``/readyz``: whether previews come from the cache yet, and its size."""
        return {"state": self.state, "profiles": self.columns.live_count}

    async def load(self, engine: AsyncEngine) -> None:
        """Load in a child process, retrying with back-off until it succeeds."""
        url = engine.url.render_as_string(hide_password=False)
        async for attempt in AsyncRetrying(wait=wait_exponential_jitter(multiplier=1, max=30)):
            with attempt:
                started = time.perf_counter()
                try:
                    columns, revisions, cpu_s = await _load_in_children(url)
                except Exception as error:
                    log.warning("profile_cache_load_failed", error=repr(error)[:300])
                    raise
        # No await from here on: the swap and the pending events are one step on the loop.
        self.columns = columns
        self._revisions = np.zeros(max(columns.capacity, 1024), dtype=np.int64)
        self._revisions[: revisions.size] = revisions
        pending, self._pending = self._pending, {}
        for item in pending.values():
            self._apply_item(item)
        self.state = "loaded"
        self.ready.set()
        log.info(
            "profile_cache_loaded",
            profiles=len(columns),
            applied_after_load=len(pending),
            seconds=round(time.perf_counter() - started, 2),
            child_cpu_s=cpu_s,
        )

    async def apply(self, event: Received[ProfilesPayload]) -> None:
        for item in event.payload.profiles:
            if self.ready.is_set():
                self._apply_item(item)
                continue
            held = self._pending.get(item["customer_id"])
            if held is None or int(held["revision"]) < int(item["revision"]):
                self._pending[item["customer_id"]] = item

    def _apply_item(self, item: dict[str, Any]) -> None:
        index = self.columns.index_of(item["customer_id"])
        revision = int(item["revision"])
        if index is not None and self._revisions[index] >= revision:
            return
        if item.get("removed"):  # no longer a customer: in no audience
            if index is not None:
                self.columns.remove(item["customer_id"])
                self._revisions[index] = revision
            return
        index = self.columns.upsert(profile_from_event(item))
        if index >= len(self._revisions):
            grown = np.zeros(max(index + 1, 2 * len(self._revisions)), dtype=np.int64)
            grown[: len(self._revisions)] = self._revisions
            self._revisions = grown
        self._revisions[index] = revision
