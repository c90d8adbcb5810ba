"""Pacing the vendor calls: a token bucket for the rate limit, jittered exponential backoff.

Both take the clock and the randomness as arguments, so they are pure and testable; the
sender does the sleeping.
"""

from __future__ import annotations

import random


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

    def refund(self, n: int) -> None:
        """Give back tokens reserved but not used (a claim found fewer messages)."""
        if not self.unlimited:
            self._tokens = min(self.burst, self._tokens + n)


def backoff(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Delay before retry number ``attempt`` (1, 2, ...): "equal jitter", half the
    exponential bound plus a random share of the other half, so retrying senders do not
    fall into step yet each one does back off."""
    bound = min(cap, base * (2 ** max(attempt - 1, 0)))
    return bound / 2 + rng.uniform(0, bound / 2)
