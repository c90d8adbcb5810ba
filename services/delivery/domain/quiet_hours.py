"""When promotional SMS and WhatsApp may go out: only inside a daily window in the
customer's local time (TRAI's rule for promotional SMS in India is 10:00 to 21:00; the
default), and never dropped outside it, only held until the window opens again.

``window`` is local wall-clock time; a window that wraps midnight (22:00-06:00) works too.
Daylight-saving gaps and folds follow zoneinfo: the opening instant is the first instant
whose local time is at or after the start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Window:
    start: time
    end: time
    zone: ZoneInfo

    @classmethod
    def parse(cls, text: str, zone: str) -> Window:
        """``"10:00-21:00"`` in ``"Asia/Kolkata"``; ValueError naming what is wrong."""
        try:
            first, second = (part.strip() for part in text.split("-"))
            start, end = time.fromisoformat(first), time.fromisoformat(second)
        except ValueError:
            raise ValueError(f"quiet hours window {text!r} is not HH:MM-HH:MM") from None
        if start == end:
            raise ValueError(f"quiet hours window {text!r} is empty")
        try:
            where = ZoneInfo(zone)
        except (KeyError, ValueError):
            raise ValueError(f"unknown time zone {zone!r}") from None
        return cls(start, end, where)

    def open_at(self, now: datetime) -> bool:
        local = now.astimezone(self.zone).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # wraps midnight

    def next_open(self, now: datetime) -> datetime:
        """``now`` if the window is open, else the instant it next opens (aware, in the
        window's zone)."""
        if self.open_at(now):
            return now
        local = now.astimezone(self.zone)
        day = local.date()
        for offset in (0, 1, 2):
            candidate = datetime.combine(day + timedelta(days=offset), self.start, self.zone)
            # Normalise through UTC so a start inside a DST gap lands on a real instant.
            candidate = candidate.astimezone(ZoneInfo("UTC")).astimezone(self.zone)
            if candidate > local:
                return candidate
        raise AssertionError("a daily window opens within two days")
