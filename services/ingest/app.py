"""The one place ingest is wired together, for each way it runs.

``api`` serves the HTTP API; ``worker`` runs the persistence consumer (and serves only
health and metrics); ``all`` does both in one process.
"""

from __future__ import annotations

from fastapi import FastAPI

from services.ingest import api, consumers
from services.ingest.settings import SERVICE, IngestSettings
from services.ingest.store.tables import inbox, outbox
from shared.runtime import Runtime


def build_app(mode: str, settings: IngestSettings | None = None) -> FastAPI:
    settings = settings or IngestSettings()
    # Only the worker writes ingest's outbox, so only it runs a relay: in the api process
    # the relay would publish the worker's events with the CPU the API needs.
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
            consumers.HANDLERS,
            max_rows=settings.ingest_batch_rows,
            rows=consumers.items_in,
        )
    else:
        runtime.declare_only(consumers.PERSISTENCE)
    if mode not in ("api", "all"):
        return runtime.http_app(None, title=f"Beacon ingest ({mode})")
    router, hot = api.build_router(
        settings, runtime.engine, runtime.broker, runtime.exchange, runtime.broker_ready
    )
    return runtime.http_app(router, title=f"Beacon ingest ({mode})", hot=hot)
