"""The vendor's send API as the sender uses it: one batch per call, retried with backoff.

Retried: timeouts, connection errors, 5xx, 408 and 429 (honouring ``Retry-After``). Any
other 4xx means the vendor will never take this batch as it is (:class:`VendorRejected`).
Retrying is safe because every message carries its stable ``message_id``, on which the
vendor dedupes.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence

import httpx
import orjson

from services.delivery.domain.pacing import backoff
from services.delivery.metrics import VENDOR_ERRORS
from services.delivery.store.log import Outgoing
from shared.logging import get_logger

log = get_logger(__name__)
SEND_PATH = "/vendor/v1/messages"
RECEIPTS_PATH = "/api/v1/receipts"
_RETRYABLE_4XX = {408, 429}


class VendorRejected(Exception):
    """The vendor refused the batch for good (a 4xx other than 408/429)."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(f"vendor answered {status}: {text[:300]}")
        self.status = status


class VendorUnavailable(Exception):
    """The vendor did not accept the batch before the deadline (it kept failing)."""


class VendorClient:
    def __init__(
        self,
        vendor_url: str,
        public_url: str,
        *,
        timeout_s: float,
        backoff_base_s: float,
        backoff_max_s: float,
        max_connections: int,
    ) -> None:
        self._url = vendor_url.rstrip("/") + SEND_PATH
        self.callback_url = public_url.rstrip("/") + RECEIPTS_PATH
        self._timeout_s = timeout_s
        self._base = backoff_base_s
        self._cap = backoff_max_s
        self._rng = random.Random()
        self._http = httpx.AsyncClient(
            timeout=timeout_s,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=8),
        )

    async def close(self) -> None:
        await self._http.aclose()

    def body(self, batch: Sequence[Outgoing]) -> bytes:
        return orjson.dumps(
            {
                "messages": [
                    {"message_id": m.message_id, "to": m.to, "body": m.body} for m in batch
                ],
                "callback_url": self.callback_url,
            }
        )

    async def send(self, batch: Sequence[Outgoing], *, deadline: float) -> int:
        """POST the batch until the vendor accepts it; return the attempts it took.

        ``deadline`` (event-loop time) bounds the retrying, not the first attempt.
        """
        loop = asyncio.get_running_loop()
        body = self.body(batch)
        attempt = 0
        while True:
            attempt += 1
            retry_after = 0.0
            try:
                response = await self._http.post(
                    self._url, content=body, headers={"content-type": "application/json"}
                )
                if 200 <= response.status_code < 300:
                    return attempt
                if response.status_code < 500 and response.status_code not in _RETRYABLE_4XX:
                    raise VendorRejected(response.status_code, response.text)
                problem = f"HTTP {response.status_code}"
                retry_after = _retry_after(response)
            except (httpx.TimeoutException, httpx.TransportError) as error:
                problem = repr(error)[:200]
            delay = max(
                backoff(attempt, base=self._base, cap=self._cap, rng=self._rng), retry_after
            )
            if loop.time() + delay > deadline:
                raise VendorUnavailable(f"gave up after {attempt} attempt(s): {problem}")
            VENDOR_ERRORS.labels("retried").inc()
            log.warning(
                "vendor_send_retry", attempt=attempt, problem=problem, retry_in=round(delay, 3)
            )
            await asyncio.sleep(delay)


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(float(response.headers.get("retry-after", 0)), 60.0)
    except ValueError:
        return 0.0
