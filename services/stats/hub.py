"""The WebSocket hub of one api process: every ``stats.changed`` snapshot to every client.

Each api replica consumes ``stats.changed`` through its own exclusive queue
(``consumers.HUB``), so a client sees every change whichever replica it is connected to.
Snapshots may arrive out of order (several workers and relays publish concurrently): the
hub drops any not newer than the last it saw for that campaign. Offering to a client never
waits: it only updates the client's mailbox and wakes its sender task.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from services.stats.domain.mailbox import ClientMailbox
from services.stats.domain.revisions import RevisionGate
from services.stats.metrics import HUB_SNAPSHOTS
from services.stats.settings import StatsSettings
from shared.envelope import Received
from shared.events import StatsChanged


class Client:
    """One connection's mailbox and the event that wakes its sender."""

    def __init__(self, mailbox: ClientMailbox) -> None:
        self.mailbox = mailbox
        self.wake = asyncio.Event()

    def offer(self, snapshot: Mapping[str, Any], *, reply: bool = False) -> None:
        if self.mailbox.offer(snapshot, reply=reply) or self.mailbox.overflowed:
            self.wake.set()

    def notice(self, message: dict[str, Any]) -> None:
        self.mailbox.notice(message)
        self.wake.set()


class Hub:
    def __init__(self, settings: StatsSettings) -> None:
        self._settings = settings
        self._clients: set[Client] = set()
        self._gate = RevisionGate()

    def connect(self) -> Client:
        client = Client(
            ClientMailbox(
                interval=self._settings.stats_ws_coalesce_s,
                max_pending=self._settings.stats_ws_max_pending,
            )
        )
        self._clients.add(client)
        return client

    def disconnect(self, client: Client) -> None:
        self._clients.discard(client)

    @property
    def clients(self) -> int:
        return len(self._clients)

    async def apply(self, event: Received[StatsChanged]) -> None:
        """The listener: admit each newer snapshot and offer it to every client."""
        for snap in event.payload.campaigns:
            try:
                cid, revision = str(snap["campaign_id"]), int(snap["revision"])
            except (KeyError, TypeError, ValueError):
                HUB_SNAPSHOTS.labels("bad").inc()
                continue
            if not self._gate.admit(cid, revision):
                HUB_SNAPSHOTS.labels("stale").inc()
                continue
            HUB_SNAPSHOTS.labels("pushed").inc()
            for client in self._clients:
                client.offer(snap)
