"""Stats' use cases shared by its entry points: announce a change (``stats.changed`` with the
current snapshot) and reconcile a campaign's counters with its stored delivery deltas.

Each takes the connection of the caller's unit of work (``shared.db.unit_of_work``, which
alone commits): ``consumers.py``, ``api.py`` and ``reconcile.py`` (the CLI) only translate
and call them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.stats.domain import events as ev
from services.stats.domain.counters import snapshot
from services.stats.domain.reconcile import Counts, changes, drift_report
from services.stats.store import counters, deltas
from services.stats.store.tables import outbox as outbox_table
from shared import outbox
from shared.envelope import Envelope
from shared.logging import get_logger

log = get_logger(__name__)


async def changed(conn: AsyncConnection, campaign_ids: list[str]) -> list[Envelope]:
    """``stats.changed`` with the current snapshot of each campaign, read under the row
    locks this transaction holds, so its revision is exactly the one just written."""
    rows = await counters.get_many(conn, campaign_ids)
    return [ev.stats_changed([snapshot(c) for c in rows])] if rows else []


async def reconcile_campaign(
    conn: AsyncConnection, campaign_id: str, *, fix: bool, actor: dict[str, Any]
) -> dict[str, Any] | None:
    """The drift report of one campaign (None when unknown); with ``fix``, the counters are
    set to the recount and the change announced through the outbox, with the audit fact
    ``stats.reconciled`` (what changed, by ``actor``) in the same transaction. The counter
    row is locked before the recount, so the recount never sees half of a concurrent
    change."""
    current = await counters.get(conn, campaign_id, lock=True)
    if current is None:
        return None
    expected = await deltas.recount(conn, campaign_id)
    actual = Counts(current.queued, current.sent, current.failed, current.cancelled)
    report = drift_report(campaign_id, expected, actual)
    if report["drift"] and fix:
        await counters.set_counts(conn, campaign_id, expected)
        audit = ev.stats_reconciled(campaign_id, changes(report), actor)
        await outbox.add(conn, outbox_table, [audit, *await changed(conn, [campaign_id])])
        report["fixed"] = True
    if report["drift"]:
        log.warning(
            "stats_drift", campaign_id=campaign_id, fixing=report["fixed"], actor=actor["sub"]
        )
    return report
