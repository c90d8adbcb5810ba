"""Rebuilding the profiles read model: forget it, then let ingest replay its events.

``python -m services.segments rebuild`` empties the profiles, the counted orders and the
profile consumer's inbox in one transaction; ``python -m services.ingest replay`` then
re-publishes ingest's event log, which the running segments worker applies from scratch.
"""

from __future__ import annotations

from services.segments import service
from services.segments.settings import SERVICE, SegmentsSettings
from shared.db import make_engine, unit_of_work
from shared.logging import get_logger

log = get_logger(__name__)


async def reset_read_model(settings: SegmentsSettings) -> None:
    engine = make_engine(settings.mysql_url, settings.schema_name(SERVICE), pool_size=1)
    try:
        async with unit_of_work(engine) as conn:
            await service.reset_read_model(conn)
    finally:
        await engine.dispose()
    log.info("profiles_reset", next_step="python -m services.ingest replay")
