"""Never go back in time: keep the newest revision seen per campaign.

Snapshots reach a hub out of order (several workers and outbox relays publish
concurrently; a subscribe answer read from the database races the events), so every
consumer of snapshots admits one only if its revision is newer than the last it kept.
"""

from __future__ import annotations

from collections import OrderedDict


class RevisionGate:
    """The newest revision per campaign, bounded: the least recently changed campaigns are
    forgotten first (a campaign that has been quiet that long gets no stale snapshots)."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self._newest: OrderedDict[str, int] = OrderedDict()
        self._max = max_entries

    def admit(self, campaign_id: str, revision: int, *, allow_equal: bool = False) -> bool:
        """True (and remember it) when ``revision`` is newer than any seen for the campaign;
        ``allow_equal`` also admits the same revision again (an explicit re-send)."""
        newest = self._newest.get(campaign_id)
        if newest is not None and (revision < newest or (revision == newest and not allow_equal)):
            return False
        self._newest[campaign_id] = revision
        self._newest.move_to_end(campaign_id)
        while len(self._newest) > self._max:
            self._newest.popitem(last=False)
        return True

    def newest(self, campaign_id: str) -> int | None:
        return self._newest.get(campaign_id)

    def __len__(self) -> int:
        return len(self._newest)
