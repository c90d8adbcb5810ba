"""The load client: POST pre-encoded bodies with N requests in flight, timing each.

aiohttp (``ClientSession`` over a ``TCPConnector`` limited to one keep-alive connection per
lane) is the well-kept client here: httpx spends milliseconds of CPU per request once
dozens are in flight, on the two cores the client shares with what it measures (see
``bench/ingest.py`` for the side-by-side numbers).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence

import aiohttp

Send = Callable[[int], Awaitable[tuple[int, bytes]]]  # body index -> status, response body


async def run_lanes(
    count: int,
    lanes: int,
    send: Send,
    check: Callable[[int, int, bytes], None],
    deadline: float | None = None,
) -> tuple[list[float], list[float]]:
    """``send(i)`` for i in 0..count-1, ``lanes`` at a time (each lane one request after
    the other). Returns per index the wall time sent and answered; after the wall time
    ``deadline`` no new request starts (their times stay 0.0)."""
    sent = [0.0] * count
    acked = [0.0] * count
    next_index = iter(range(count))

    async def lane() -> None:
        for i in next_index:
            sent[i] = time.time()
            if deadline is not None and sent[i] > deadline:
                sent[i] = 0.0
                break
            status, content = await send(i)
            acked[i] = time.time()
            check(i, status, content)

    await asyncio.gather(*(lane() for _ in range(min(lanes, count))))
    return sent, acked


async def post_aiohttp(
    url: str,
    bodies: Sequence[bytes],
    concurrency: int,
    headers: Mapping[str, str],
    check: Callable[[int, int, bytes], None],
    *,
    timeout: float = 120.0,
    deadline: float | None = None,
) -> tuple[list[float], list[float]]:
    """POST each body to ``url`` with aiohttp, ``concurrency`` in flight, over keep-alive."""
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    async with aiohttp.ClientSession(
        connector=connector,
        headers=dict(headers),
        timeout=aiohttp.ClientTimeout(total=timeout),
        skip_auto_headers=("User-Agent", "Accept-Encoding"),
    ) as session:

        async def send(i: int) -> tuple[int, bytes]:
            async with session.post(url, data=bodies[i]) as response:
                return response.status, await response.read()

        return await run_lanes(len(bodies), concurrency, send, check, deadline)
