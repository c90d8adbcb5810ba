"""The transactional outbox and its relay.

A service writes the events it emits into its own ``outbox`` table in the same transaction
as the state they describe (:func:`add`). The relay then publishes unpublished rows to the
service's exchange with publisher confirms and marks them published. Rows are kept after
publishing: the table is the service's event log, so a read model downstream can be
rebuilt by replaying it. Several relays (replicas) share the work with ``SKIP LOCKED``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from faststream.rabbit import RabbitBroker, RabbitExchange
from sqlalchemy import Row, Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared import tracing
from shared.db import execute_rows, unit_of_work
from shared.envelope import Envelope
from shared.logging import get_logger
from shared.loops import Wakeup, run_loop
from shared.metrics import OUTBOX_OLDEST_AGE, OUTBOX_PENDING, OUTBOX_PUBLISHED

log = get_logger(__name__)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


async def add(conn: AsyncConnection, outbox: Table, events: Sequence[Envelope]) -> None:
    """Record events to publish, inside the caller's transaction, with the trace context of
    the span writing them (the relay's publish continues that trace)."""
    if not events:
        return
    now = _now()
    traceparent = tracing.current_traceparent()
    await conn.execute(
        outbox.insert(),
        [
            {
                "event_id": str(e.event_id),
                "type": e.type,
                "correlation_id": e.correlation_id,
                "traceparent": traceparent,
                "body": e.to_bytes(),
                "created_at": now,
            }
            for e in events
        ],
    )


# A batch's events in as few bulk calls as fit this many bytes of bodies each (one packet
# per call, under MariaDB's 16 MiB max_allowed_packet with room to spare).
_BULK_BYTES = 4 * 1024 * 1024


async def add_batch(conn: AsyncConnection, outbox: Table, events: Sequence[Envelope]) -> None:
    """:func:`add` for a batch consumer's events, which may be many and big (a projection's
    ``profile.changed`` of 1,000 profiles is ~250 KB): the rows are bound in binary in bulk
    (``shared.db.execute_rows``) instead of every body being escaped into SQL text, which
    was most of the projection's outbox cost. Same rows as :func:`add`."""
    if not events:
        return
    now = _now()
    traceparent = tracing.current_traceparent()
    names = ["event_id", "type", "correlation_id", "traceparent", "body", "created_at"]
    rows: list[tuple[Any, ...]] = [
        (str(e.event_id), e.type, e.correlation_id, traceparent, e.to_bytes(), now) for e in events
    ]
    # A column NULL in every row cannot be bound in bulk: leave it to its default, NULL.
    empty = {i for i in (2, 3) if all(row[i] is None for row in rows)}
    if empty:
        names = [n for i, n in enumerate(names) if i not in empty]
        rows = [tuple(v for i, v in enumerate(row) if i not in empty) for row in rows]
    columns = ", ".join(names)
    statement = f"INSERT INTO {outbox.name} ({columns}) VALUES ({', '.join(['%s'] * len(names))})"
    chunk: list[tuple[Any, ...]] = []
    size = 0
    for row in rows:
        body_size = len(row[-2])
        if chunk and size + body_size > _BULK_BYTES:
            await execute_rows(conn, statement, chunk)
            chunk, size = [], 0
        chunk.append(row)
        size += body_size
    await execute_rows(conn, statement, chunk)


async def publish_raw(
    broker: RabbitBroker,
    exchange: RabbitExchange,
    *,
    type_: str,
    event_id: str,
    correlation_id: str | None,
    body: bytes,
    timeout: float,
    traceparent: str | None = None,
) -> None:
    """Publish one serialised envelope, persistent, and wait for the broker's confirm.

    Inside a ``publish`` span (shared.tracing) whose context rides in the ``traceparent``
    header: a child of ``traceparent`` (an outbox row's) if given, else of the current
    span."""
    with tracing.publishing(
        exchange.name,
        type_,
        event_id=event_id,
        correlation_id=correlation_id,
        traceparent=traceparent,
    ) as headers:
        await broker.publish(
            body,
            exchange=exchange,
            routing_key=type_,
            message_id=event_id,
            correlation_id=correlation_id,
            content_type="application/json",
            message_type=type_,
            headers=headers,
            persist=True,
            mandatory=False,
            timeout=timeout,
        )


async def publish_envelope(
    broker: RabbitBroker, exchange: RabbitExchange, envelope: Envelope, *, timeout: float
) -> None:
    await publish_raw(
        broker,
        exchange,
        type_=envelope.type,
        event_id=str(envelope.event_id),
        correlation_id=envelope.correlation_id,
        body=envelope.to_bytes(),
        timeout=timeout,
    )


class OutboxRelay:
    """Publishes a service's outbox rows in order of writing, many in flight at once."""

    def __init__(
        self,
        engine: AsyncEngine,
        outbox: Table,
        broker: RabbitBroker,
        exchange: RabbitExchange,
        *,
        batch: int = 500,
        poll_s: float = 0.2,
        timeout: float = 5.0,
    ) -> None:
        self._engine = engine
        self._outbox = outbox
        self._broker = broker
        self._exchange = exchange
        self._batch = batch
        self._poll_s = poll_s
        self._timeout = timeout
        self._wakeup = Wakeup()

    def notify(self) -> None:
        """Tell the relay new rows were committed, so it need not wait for its next poll."""
        self._wakeup.notify()

    async def run(self, stop: asyncio.Event) -> None:
        async def step() -> bool:
            return await self.publish_pending() >= self._batch

        await run_loop(
            step,
            stop,
            what="outbox_relay",
            idle_s=self._poll_s,
            wakeup=self._wakeup,
            max_backoff_s=5.0,
        )

    async def publish_pending(self) -> int:
        """Publish one batch of unpublished rows; return how many."""
        table = self._outbox
        async with unit_of_work(self._engine) as conn:
            rows = (
                await conn.execute(
                    select(
                        table.c.id,
                        table.c.type,
                        table.c.event_id,
                        table.c.correlation_id,
                        table.c.traceparent,
                        table.c.body,
                        table.c.created_at,
                    )
                    .where(table.c.published_at.is_(None))
                    .order_by(table.c.id)
                    .limit(self._batch)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            OUTBOX_PENDING.labels(exchange=self._exchange.name).set(len(rows))
            OUTBOX_OLDEST_AGE.labels(exchange=self._exchange.name).set(
                max(0.0, (_now() - rows[0].created_at).total_seconds()) if rows else 0.0
            )
            if not rows:
                return 0
            await asyncio.gather(*(self._publish_row(r) for r in rows))
            await conn.execute(
                update(table)
                .where(table.c.id.in_([r.id for r in rows]))
                .values(published_at=_now())
            )
        OUTBOX_PUBLISHED.labels(exchange=self._exchange.name).inc(len(rows))
        return len(rows)

    async def _publish_row(self, row: Row[Any, Any, Any, Any, Any, Any, Any]) -> None:
        await publish_raw(
            self._broker,
            self._exchange,
            type_=row.type,
            event_id=row.event_id,
            correlation_id=row.correlation_id,
            body=row.body,
            timeout=self._timeout,
            traceparent=row.traceparent,
        )


async def replay(
    engine: AsyncEngine,
    outbox: Table,
    broker: RabbitBroker,
    exchange: RabbitExchange,
    types: Sequence[str],
    *,
    timeout: float = 5.0,
    chunk: int = 500,
) -> int:
    """Publish the service's recorded events of ``types`` again, oldest first, same ids.

    Consumers that already applied an event skip it (inbox); one whose read model was reset
    applies them all again: this is how a read model downstream is rebuilt.
    """
    after = 0
    sent = 0
    while True:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(
                        outbox.c.id,
                        outbox.c.type,
                        outbox.c.event_id,
                        outbox.c.correlation_id,
                        outbox.c.body,
                    )
                    .where(outbox.c.id > after, outbox.c.type.in_(list(types)))
                    .order_by(outbox.c.id)
                    .limit(chunk)
                )
            ).all()
        if not rows:
            return sent
        await asyncio.gather(
            *(
                publish_raw(
                    broker,
                    exchange,
                    type_=r.type,
                    event_id=r.event_id,
                    correlation_id=r.correlation_id,
                    body=r.body,
                    timeout=timeout,
                )
                for r in rows
            )
        )
        sent += len(rows)
        after = rows[-1].id
