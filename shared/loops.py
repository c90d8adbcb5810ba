"""The one shape of a background loop: do a step, wake on notify or every ``idle_s``,
back off after a failure, stop cleanly.

Used by the outbox relay, the audience publisher, the scheduler, the retention and
parked-receipt sweeps. A step returns True when it did a full batch (so more may be
waiting: run again at once) and False when it found nothing left to do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from tenacity import RetryCallState, wait_exponential_jitter

from shared.logging import get_logger

log = get_logger(__name__)

Step = Callable[[], Awaitable[bool]]


class Wakeup:
    """Lets a writer tell a loop that work was committed, so it need not wait its poll."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()

    async def wait(self, timeout: float, stop: asyncio.Event) -> None:
        """Until notified, ``timeout`` passed, or the process is stopping."""
        self._event.clear()
        waiters = [asyncio.ensure_future(self._event.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()


async def run_loop(
    step: Step,
    stop: asyncio.Event,
    *,
    what: str,
    idle_s: float,
    wakeup: Wakeup | None = None,
    max_backoff_s: float = 10.0,
) -> None:
    """Run ``step`` until ``stop`` is set (see the module docstring)."""
    wakeup = wakeup or Wakeup()
    backoff = wait_exponential_jitter(multiplier=0.1, max=max_backoff_s)
    failures = 0
    while not stop.is_set():
        try:
            more = await step()
            failures = 0
        except Exception as error:  # the loop must outlive any one failure
            failures += 1
            state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
            state.attempt_number = failures
            delay = backoff(state)
            log.warning(f"{what}_failed", error=repr(error)[:300], retry_in=round(delay, 2))
            await wakeup.wait(delay, stop)
            continue
        if not more:
            await wakeup.wait(idle_s, stop)
