"""What one WebSocket client is owed, as pure state: no I/O, an explicit clock.

The hub *offers* every snapshot to every client's mailbox without waiting; the client's own
sender task *takes* what is due and writes it. Per campaign only the newest snapshot waits
(drop-to-latest), and a campaign is pushed at most once per ``interval`` (the first change
goes out at once, later ones are coalesced). So a slow client costs a bounded amount of
memory, never blocks the hub, and when it catches up it gets the latest numbers, not a
backlog.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterable, Mapping
from typing import Any

from services.stats.domain.revisions import RevisionGate

Message = dict[str, Any]


class ClientMailbox:
    def __init__(
        self,
        *,
        interval: float = 0.25,
        max_pending: int = 10_000,
        max_notices: int = 16,
        max_tracked: int = 20_000,
    ) -> None:
        self.interval = interval
        self.max_pending = max_pending
        # Set when more campaigns wait than ``max_pending``: the client cannot keep up and
        # is to be disconnected (it reconnects and subscribes afresh); dropping a campaign
        # instead would silently leave it showing wrong numbers.
        self.overflowed = False
        self._filter: frozenset[str] | None = None  # None: every campaign
        self._pending: dict[str, tuple[Mapping[str, Any], bool]] = {}  # id → (newest, urgent)
        self._pushed_at: OrderedDict[str, float] = OrderedDict()  # oldest push first
        self._gate = RevisionGate(max_tracked)
        # Error replies; bounded so a client spamming bad messages cannot grow it.
        self._notices: deque[Message] = deque(maxlen=max_notices)

    def subscribe(self, campaign_ids: Iterable[str] | None) -> None:
        """Narrow to these campaigns (None or empty: all again); drops what no longer fits."""
        ids = frozenset(campaign_ids or ())
        self._filter = ids or None
        if self._filter is not None:
            for cid in [c for c in self._pending if c not in ids]:
                del self._pending[cid]

    def wants(self, campaign_id: str) -> bool:
        return self._filter is None or campaign_id in self._filter

    def offer(self, snapshot: Mapping[str, Any], *, reply: bool = False) -> bool:
        """Queue a snapshot, replacing an older one of the same campaign; False when it is
        not wanted or older than what the client has (or will get). ``reply`` (the answer
        to a subscribe) is due at once and may repeat the revision the client already has."""
        cid = str(snapshot["campaign_id"])
        if self.overflowed or not self.wants(cid):
            return False
        if cid not in self._pending and len(self._pending) >= self.max_pending:
            self.overflowed = True
            return False
        if not self._gate.admit(cid, int(snapshot["revision"]), allow_equal=reply):
            return False
        urgent = reply or (cid in self._pending and self._pending[cid][1])
        self._pending[cid] = (snapshot, urgent)
        return True

    def notice(self, message: Message) -> None:
        """A control message (an error reply) to send before any snapshot."""
        self._notices.append(message)

    def take(self, now: float) -> list[Message]:
        """The messages due at ``now``, in order: notices, then one per due campaign."""
        self._forget_old_pushes(now)
        out: list[Message] = list(self._notices)
        self._notices.clear()
        for cid, (snap, urgent) in list(self._pending.items()):
            last = self._pushed_at.get(cid)
            if urgent or last is None or now - last >= self.interval:
                out.append({"type": "campaign_stats", "data": dict(snap)})
                del self._pending[cid]
                self._pushed_at[cid] = now
                self._pushed_at.move_to_end(cid)
        return out

    def next_due(self, now: float) -> float | None:
        """Seconds until something is due (0 if now), None when nothing waits."""
        if self._notices:
            return 0.0
        due: float | None = None
        for cid, (_, urgent) in self._pending.items():
            last = self._pushed_at.get(cid)
            wait = 0.0 if urgent or last is None else max(last + self.interval - now, 0.0)
            due = wait if due is None else min(due, wait)
            if due == 0.0:
                break
        return due

    def pending(self) -> int:
        return len(self._pending)

    def _forget_old_pushes(self, now: float) -> None:
        # A push older than the interval no longer throttles anything: keep the map small.
        while self._pushed_at:
            cid, at = next(iter(self._pushed_at.items()))
            if now - at < self.interval:
                break
            del self._pushed_at[cid]
