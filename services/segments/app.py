"""The one place segments is wired together, for each way it runs.

``api``: fields, previews (with the columnar cache, loaded at start and fed by its own
exclusive queue) and saved segments. ``worker``: the profiles projection, the audience
resolver and the audience publisher. ``all``: both.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, FastAPI

from services.segments import api, consumers, suppressions_api, unsubscribe_api
from services.segments.cache import ProfileCache
from services.segments.publisher import AudiencePublisher
from services.segments.settings import DEV_UNSUBSCRIBE_SECRET, SERVICE, SegmentsSettings
from services.segments.store import audiences
from services.segments.store.tables import inbox, outbox
from shared.logging import get_logger
from shared.runtime import Runtime
from shared.settings import ConfigurationError, require_secret

log = get_logger(__name__)


def build_app(mode: str, settings: SegmentsSettings | None = None) -> FastAPI:
    settings = settings or SegmentsSettings()
    if settings.production and settings.unsubscribe_secret == DEV_UNSUBSCRIBE_SECRET:
        raise ConfigurationError(
            "BEACON_ENV=production with the development unsubscribe secret: "
            "set BEACON_UNSUBSCRIBE_SECRET"
        )
    require_secret(settings, "BEACON_UNSUBSCRIBE_SECRET", settings.unsubscribe_secret)
    runtime = Runtime(SERVICE, settings, outbox_table=outbox, inbox_table=inbox)
    runtime.document(consumers.PROFILES, consumers.AUDIENCES, consumers.CACHE)
    router = public = None
    if mode in ("worker", "all"):
        publisher = AudiencePublisher(
            runtime.engine,
            runtime.broker,
            runtime.exchange,
            batch_size=settings.audience_batch_size,
            timeout=settings.publish_timeout_s,
        )
        runtime.add_batch_consumer(
            consumers.PROFILES,
            consumers.profile_handlers(),
            max_rows=settings.profiles_batch_rows,
            rows=consumers.items_in,
        )
        runtime.add_consumer(
            consumers.AUDIENCES,
            {
                (consumers.ev.CAMPAIGN_LAUNCHED, 1): consumers.audience_resolver(
                    settings.audience_batch_size, publisher.notify
                )
            },
        )
        runtime.add_background(publisher.run)
        runtime.add_retention("audience_members", audiences.prune_members)
    if mode in ("api", "all"):
        cache = ProfileCache() if settings.segments_cache else None
        if cache is not None:
            runtime.add_listener(consumers.CACHE, cache.apply)
            # /readyz stays ready while the cache loads (previews answer from SQL then)
            # and says which: {"profile_cache": {"state": "loading"|"loaded", ...}}.
            runtime.add_ready_detail("profile_cache", cache.describe)

            async def load_cache(stop: asyncio.Event) -> None:
                # The listener queue exists before the load starts, and the cache keeps
                # what arrives while loading, so no change is missed.
                await cache.load(runtime.engine)

            runtime.add_background(load_cache)
        assert runtime.relay is not None
        router = APIRouter()
        router.include_router(
            api.build_router(settings, runtime.engine, cache, runtime.relay.notify)
        )
        router.include_router(suppressions_api.build_router(runtime.engine, runtime.relay.notify))
        public = unsubscribe_api.build_public_router(settings, runtime.engine)
    return runtime.http_app(router, title=f"Beacon segments ({mode})", public=public)
