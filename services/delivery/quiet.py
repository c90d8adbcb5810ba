"""Quiet hours in the sender: which channels wait for their window, and the loop that puts
held work back on the send queue once it opens (service.release_due).

A channel is under quiet hours when a real provider sends it: SMS through Twilio
(``BEACON_SMS_PROVIDER``), and the vendor simulator only with
``BEACON_QUIET_HOURS_SIMULATOR`` (so the demo and the tests send at any hour). Email is
not: the rule is TRAI's, for promotional SMS (and WhatsApp, when it gets a campaign
channel).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from services.delivery import service
from services.delivery.settings import DeliverySettings
from shared.loops import run_loop

# How often held work is looked at: a window opens at most this late.
RELEASE_EVERY_S = 5.0


def quiet_rule(
    settings: DeliverySettings, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> Callable[[str], datetime | None]:
    """``channel`` → when its quiet hours end (None: it may send now)."""
    window = settings.quiet_window()
    under = set()
    if settings.sms_provider != "simulator" or settings.quiet_hours_simulator:
        under.add("sms")

    def opens(channel: str) -> datetime | None:
        if window is None or channel not in under:
            return None
        now = clock()
        return None if window.open_at(now) else window.next_open(now)

    return opens


def releaser(
    engine: AsyncEngine, on_emitted: Callable[[], None]
) -> Callable[[asyncio.Event], Awaitable[None]]:
    async def run(stop: asyncio.Event) -> None:
        async def step() -> bool:
            released = await service.release_due(engine, datetime.now(UTC))
            if released:
                on_emitted()
            return released > 0

        await run_loop(step, stop, what="deferred_release", idle_s=RELEASE_EVERY_S)

    return run
