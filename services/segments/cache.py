"""The in-memory columnar copy of the profiles that previews read.

Loaded from SQL at start (the source of truth), then kept fresh from ``profile.changed``
events, which carry each changed profile's full state and ``revision``; an event older than
what the cache holds is ignored, so reordering and the overlap between the load and the
events that arrived during it do no harm. Every API replica holds its own copy, fed by its
own exclusive queue.

The load runs in a child process (``spawn``): reading and encoding a million rows is CPU
work that would otherwise hold the event loop (and the GIL) for seconds, and the
millions of short-lived Python strings it makes would leave the API's heap fragmented. The
child sends back the finished ``ProfileColumns`` (arrays and byte blobs, quick to pickle).
Meanwhile ``state`` is ``"loading"``, previews answer from SQL, and events are kept (the
newest revision per customer) and applied right after the swap, in the same step on the
event loop, so none is lost. A failed load is retried with back-off; SQL keeps answering.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
import time
from datetime import datetime
from decimal import Decimal
from multiprocessing.connection import Connection
from typing import Any, Literal

import numpy as np
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool
from tenacity import AsyncRetrying, wait_exponential_jitter

from services.segments.domain import Profile, ProfileColumns
from services.segments.store import cache_load
from shared.envelope import Envelope
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


async def _read(url: str) -> dict[str, Any]:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return await cache_load.read_columns(conn)
    finally:
        await engine.dispose()


def build_columns(url: str) -> tuple[ProfileColumns, np.ndarray[Any, np.dtype[np.int64]]]:
    """Every known profile as `ProfileColumns`, and each row's revision (in the child)."""
    data = asyncio.run(_read(url))
    columns = ProfileColumns.from_arrays(
        data.pop("customer_id"),
        total_spend=data["total_spend"],
        visits=data["visits"],
        **{name: data.pop(name) for name in (*cache_load.DATES, *cache_load.TEXTS)},
    )
    return columns, data["revision"]


def _child(url: str, sender: Connection) -> None:
    try:
        columns, revisions = build_columns(url)
        used = resource.getrusage(resource.RUSAGE_SELF)
        # CPU seconds of the load, a figure that a busy machine inflates less than wall time.
        sender.send(("ok", (columns, revisions, round(used.ru_utime + used.ru_stime, 2))))
    except BaseException as error:  # the parent logs it and retries
        sender.send(("error", repr(error)[:500]))
    finally:
        sender.close()


async def _load_in_child(
    url: str,
) -> tuple[ProfileColumns, np.ndarray[Any, np.dtype[np.int64]], float]:
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(url, sender), name="profile-cache-load")
    child.start()
    sender.close()  # the child holds the only writer: its death ends recv with EOFError
    try:
        status, result = await asyncio.to_thread(receiver.recv)
    finally:
        receiver.close()
        if child.is_alive():
            child.terminate()  # cancelled (the API stops) or failed: do not leave it running
        await asyncio.to_thread(child.join, 10)
    if status != "ok":
        raise RuntimeError(f"profile cache load failed in the child: {result}")
    return result  # type: ignore[no-any-return]


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
        return {"state": self.state, "profiles": len(self.columns)}

    async def load(self, engine: AsyncEngine) -> None:
        """Load in a child process, retrying with back-off until it succeeds."""
        url = engine.url.render_as_string(hide_password=False)
        async for attempt in AsyncRetrying(wait=wait_exponential_jitter(multiplier=1, max=30)):
            with attempt:
                started = time.perf_counter()
                try:
                    columns, revisions, cpu_s = await _load_in_child(url)
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

    async def apply(self, envelope: Envelope) -> None:
        for item in envelope.payload["profiles"]:
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
        index = self.columns.upsert(profile_from_event(item))
        if index >= len(self._revisions):
            grown = np.zeros(max(index + 1, 2 * len(self._revisions)), dtype=np.int64)
            grown[: len(self._revisions)] = self._revisions
            self._revisions = grown
        self._revisions[index] = revision
