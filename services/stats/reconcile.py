"""Reconciliation: recount a campaign's counters from its stored delivery deltas.

``python -m services.stats reconcile [--campaign ID] [--fix]`` and
``POST /api/v1/stats/campaigns/{id}/reconcile[?fix=true]``. The counter row is locked
before the recount, so a recount never sees half of a concurrent change: at rest, and even
under load, the drift is zero unless something wrote the counters by other means. ``fix``
sets them to the recount and announces the change (``stats.changed`` through the outbox),
with the audit fact ``stats.reconciled`` naming who: here ``cli:<OS user>``.
Exit status: 0 no drift left, 1 drift found and not fixed, 2 unknown campaign.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from services.stats import service
from services.stats.settings import SERVICE, StatsSettings
from services.stats.store import counters
from shared.db import make_engine, unit_of_work
from shared.logging import configure_logging, get_logger

log = get_logger(__name__)


def cli_actor() -> dict[str, Any]:
    """Who runs the CLI, for the audit trail (``cli:<OS user>``, as ``shared.events.Actor``)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (some containers)
        user = "unknown"
    return {"sub": f"cli:{user}", "email": None}


async def reconcile_campaign(
    engine: AsyncEngine, campaign_id: str, *, fix: bool
) -> dict[str, Any] | None:
    """:func:`services.stats.service.reconcile_campaign` in a unit of work of its own."""
    async with unit_of_work(engine) as conn:
        return await service.reconcile_campaign(conn, campaign_id, fix=fix, actor=cli_actor())


async def reconcile(settings: StatsSettings, campaign: str | None, fix: bool) -> int:
    engine = make_engine(settings.mysql_url, settings.schema_name(SERVICE), pool_size=2)
    checked = drifted = fixed = 0
    try:
        if campaign is not None:
            report = await reconcile_campaign(engine, campaign, fix=fix)
            if report is None:
                _print({"error": f"no stats for campaign {campaign!r}"})
                return 2
            reports = [report]
        else:
            reports = []
            after: str | None = None
            while True:
                async with engine.connect() as conn:
                    ids = await counters.ids_after(conn, after, 500)
                if not ids:
                    break
                for cid in ids:
                    found = await reconcile_campaign(engine, cid, fix=fix)
                    if found is not None:
                        checked += 1
                        if found["drift"]:
                            reports.append(found)  # print only what drifted
                after = ids[-1]
        for report in reports:
            _print(report)
            drifted += report["drift"]
            fixed += report["fixed"]
        checked = checked or len(reports)
    finally:
        await engine.dispose()
    _print({"checked": checked, "drifted": drifted, "fixed": fixed})
    return 1 if drifted > fixed else 0


def _print(value: dict[str, Any]) -> None:
    print(orjson.dumps(value).decode(), flush=True)


def main(argv: Sequence[str], settings: StatsSettings) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.stats reconcile")
    parser.add_argument("--campaign", help="one campaign id (default: every campaign)")
    parser.add_argument("--fix", action="store_true", help="set counters to the recount")
    args = parser.parse_args(argv)
    configure_logging(SERVICE, settings.log_level, settings.log_json)
    return asyncio.run(reconcile(settings, args.campaign, args.fix))
