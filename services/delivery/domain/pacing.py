"""Pacing the vendor calls: a token bucket for the rate limit.

It takes the clock as an argument, so it is pure and testable; the sender does the
sleeping. (Retries back off in ``vendor_client.py``, with tenacity.)
"""

from __future__ import annotations


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up; 0 means unlimited.

    :meth:`reserve` always grants and says how long to wait first: taking more tokens than
    there are leaves the bucket in debt, which later callers wait out. So a batch larger
    than the burst is still sent (after its wait) and the average rate holds.
    """

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.burst = burst if burst is not None else max(rate, 1.0)
        self._tokens = self.burst
        self._last: float | None = None

    @property
    def unlimited(self) -> bool:
        return self.rate <= 0

    def reserve(self, n: int, now: float) -> float:
        """Take ``n`` tokens; return the seconds to wait before using them."""
        if self.unlimited:
            return 0.0
        if self._last is not None:
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        self._tokens -= n
        return max(0.0, -self._tokens / self.rate)
