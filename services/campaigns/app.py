"""The one place campaigns is wired together, for each way it runs.

``api``: create, list, read. ``worker``: the progress consumer and the scheduler.
"""

from __future__ import annotations

from fastapi import FastAPI

from services.campaigns import api, consumers
from services.campaigns.scheduler import scheduler
from services.campaigns.settings import SERVICE, CampaignsSettings
from services.campaigns.store.tables import inbox, outbox
from shared.runtime import Runtime


def build_app(mode: str, settings: CampaignsSettings | None = None) -> FastAPI:
    settings = settings or CampaignsSettings()
    runtime = Runtime(SERVICE, settings, outbox_table=outbox, inbox_table=inbox)
    assert runtime.relay is not None
    router = None
    if mode in ("worker", "all"):
        runtime.add_consumer(consumers.PROGRESS, consumers.HANDLERS)
        runtime.add_background(
            scheduler(runtime.engine, runtime.relay.notify, settings.scheduler_poll_s)
        )
    if mode in ("api", "all"):
        router = api.build_router(settings, runtime.engine, runtime.relay.notify)
    return runtime.http_app(router, title=f"Beacon campaigns ({mode})")
