"""The one place ingest is wired together, for each way it runs.

``api`` serves the HTTP API; ``worker`` runs the persistence consumer and the erasure
redaction loop (and serves only health and metrics); ``all`` does both in one process.
"""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from services.ingest import api, consumers
from services.ingest.settings import SERVICE, IngestSettings
from services.ingest.store import erasure
from services.ingest.store.tables import inbox, outbox
from shared.auth.apikeys import pepper
from shared.db import unit_of_work
from shared.loops import run_loop
from shared.runtime import Runtime

REDACT_EVERY_S = 2.0  # how long an erasure event keeps the person's ids once published


def build_app(mode: str, settings: IngestSettings | None = None) -> FastAPI:
    settings = settings or IngestSettings()
    # Only the worker writes ingest's event outbox, so only it runs a relay: in the api
    # process the relay would publish the worker's events with the CPU the API needs.
    writes_events = mode in ("worker", "all")
    runtime = Runtime(
        SERVICE,
        settings,
        outbox_table=outbox if writes_events else None,
        inbox_table=inbox,
        keep_outbox=True,  # ingest's event log: `replay` rebuilds the profiles from it
    )
    runtime.document(consumers.PERSISTENCE)
    if mode in ("worker", "all"):
        runtime.add_batch_consumer(
            consumers.PERSISTENCE,
            consumers.handlers(pepper(settings)),
            max_rows=settings.ingest_batch_rows,
            rows=consumers.items_in,
        )

        async def redact(stop: asyncio.Event) -> None:
            async def step() -> bool:
                async with unit_of_work(runtime.engine) as conn:
                    await erasure.redact_published_erasures(conn)
                return False

            await run_loop(step, stop, what="erasure_redaction", idle_s=REDACT_EVERY_S)

        runtime.add_background(redact)
    else:
        runtime.declare_only(consumers.PERSISTENCE)
    if mode not in ("api", "all"):
        return runtime.http_app(None, title=f"Beacon ingest ({mode})")
    router, hot = api.build_router(
        settings, runtime.engine, runtime.broker, runtime.exchange, runtime.broker_ready
    )
    return runtime.http_app(router, title=f"Beacon ingest ({mode})", hot=hot)
