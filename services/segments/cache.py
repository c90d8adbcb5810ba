"""The in-memory columnar copy of the profiles that previews read.

Loaded from SQL at start (the source of truth), then kept fresh from ``profile.changed``
events, which carry each changed profile's full state and ``revision``; an event older than
what the cache holds is ignored, so reordering and the overlap between the load and the
events that arrived during it do no harm. Every API replica holds its own copy, fed by its
own exclusive queue.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy.ext.asyncio import AsyncEngine

from services.segments.domain import Profile, ProfileColumns
from services.segments.store import profiles as profile_store
from shared.envelope import Envelope
from shared.logging import get_logger

log = get_logger(__name__)


def profile_from_row(row: Any) -> Profile:
    return Profile(
        customer_id=row["customer_id"],
        total_spend=row["total_spend"],
        visits=row["visits"],
        last_visit_at=row["last_visit_at"],
        first_visit_at=row["first_visit_at"],
        created_at=row["created_at"],
        name=row["name"],
        email=row["email"],
        city=row["city"],
        phone=row["phone"],
    )


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


class ProfileCache:
    def __init__(self) -> None:
        self.columns = ProfileColumns()
        self._revisions = np.zeros(1024, dtype=np.int64)
        self.ready = asyncio.Event()

    async def load(self, engine: AsyncEngine) -> None:
        started = time.perf_counter()
        ids: list[str] = []
        revisions: list[int] = []
        columns: dict[str, list[Any]] = {
            k: []
            for k in (
                "total_spend",
                "visits",
                "last_visit_at",
                "first_visit_at",
                "created_at",
                "name",
                "email",
                "city",
                "phone",
            )
        }
        async with engine.connect() as conn:
            async for chunk in profile_store.stream_known(conn):
                for row in chunk:
                    m = row._mapping
                    ids.append(m["customer_id"])
                    revisions.append(m["revision"])
                    for key, values in columns.items():
                        values.append(m[key])
        self.columns = ProfileColumns.from_arrays(ids, **columns)
        self._revisions = np.zeros(max(len(ids), 1024), dtype=np.int64)
        self._revisions[: len(ids)] = revisions
        self.ready.set()
        log.info(
            "profile_cache_loaded",
            profiles=len(ids),
            seconds=round(time.perf_counter() - started, 2),
        )

    async def apply(self, envelope: Envelope) -> None:
        await self.ready.wait()
        for item in envelope.payload["profiles"]:
            index = self.columns.index_of(item["customer_id"])
            revision = int(item["revision"])
            if index is not None and self._revisions[index] >= revision:
                continue
            index = self.columns.upsert(profile_from_event(item))
            if index >= len(self._revisions):
                grown = np.zeros(max(index + 1, 2 * len(self._revisions)), dtype=np.int64)
                grown[: len(self._revisions)] = self._revisions
                self._revisions = grown
            self._revisions[index] = revision
