"""``python -m services.ingest replay``: re-publish ingest's event log (customer.upserted,
order.recorded, customer.merged, customer.erased), oldest first with their original ids,
so a reset read model downstream (``python -m services.segments rebuild``) is rebuilt from
the events alone. Erased people's events were rewritten in the log at their erasure."""

from __future__ import annotations

from services.ingest.domain.events import (
    CUSTOMER_ERASED,
    CUSTOMER_MERGED,
    CUSTOMER_UPSERTED,
    ORDER_RECORDED,
)
from services.ingest.settings import SERVICE, IngestSettings
from services.ingest.store.tables import outbox
from shared.db import make_engine
from shared.logging import get_logger
from shared.outbox import replay
from shared.runtime import Runtime

log = get_logger(__name__)


async def replay_events(settings: IngestSettings) -> int:
    runtime = Runtime(SERVICE, settings)
    engine = make_engine(settings.mysql_url, settings.schema_name(SERVICE), pool_size=2)
    await runtime.broker.connect()
    try:
        sent = await replay(
            engine,
            outbox,
            runtime.broker,
            runtime.exchange,
            (CUSTOMER_UPSERTED, ORDER_RECORDED, CUSTOMER_MERGED, CUSTOMER_ERASED),
            timeout=settings.publish_timeout_s,
        )
    finally:
        await runtime.broker.stop()
        await engine.dispose()
        await runtime.engine.dispose()
    log.info("replayed", events=sent)
    return sent
