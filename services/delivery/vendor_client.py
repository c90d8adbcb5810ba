"""The vendor's send API as the sender uses it: one batch per call, retried with backoff.

Retried (tenacity): timeouts, connection errors, 5xx, 408 and 429 (honouring ``Retry-After``). Any
other 4xx means the vendor will never take this batch as it is (:class:`VendorRejected`).
Retrying is safe because every message carries its stable ``message_id``, on which the
vendor dedupes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import httpx
import orjson
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    wait_exponential_jitter,
)

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
        self._wait = wait_exponential_jitter(
            multiplier=backoff_base_s, max=backoff_max_s, jitter=backoff_base_s
        )
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

        ``deadline`` (event-loop time) bounds the retrying, not the first attempt: a retry
        whose wait would end past it is not made (:class:`VendorUnavailable`).
        """
        loop = asyncio.get_running_loop()
        body = self.body(batch)

        def past_deadline(state: RetryCallState) -> bool:
            return loop.time() + state.upcoming_sleep > deadline

        def log_retry(state: RetryCallState) -> None:
            VENDOR_ERRORS.labels("retried").inc()
            log.warning(
                "vendor_send_retry",
                attempt=state.attempt_number,
                problem=_problem(state),
                retry_in=round(state.upcoming_sleep, 3),
            )

        def give_up(state: RetryCallState) -> int:
            raise VendorUnavailable(
                f"gave up after {state.attempt_number} attempt(s): {_problem(state)}"
            )

        retrying = AsyncRetrying(
            retry=retry_if_exception_type(_Retryable),
            # Exponential with jitter, but never sooner than the vendor's Retry-After.
            wait=lambda state: max(self._wait(state), _retry_after_of(state)),
            stop=past_deadline,
            before_sleep=log_retry,
            retry_error_callback=give_up,
        )
        attempts = 0

        async def attempt() -> None:
            nonlocal attempts
            attempts += 1
            await self._post(body)

        await retrying(attempt)
        return attempts

    async def _post(self, body: bytes) -> None:
        """One POST: returns on 2xx, raises :class:`_Retryable` or :class:`VendorRejected`."""
        try:
            response = await self._http.post(
                self._url, content=body, headers={"content-type": "application/json"}
            )
        except (httpx.TimeoutException, httpx.TransportError) as error:
            raise _Retryable(repr(error)[:200]) from error
        if 200 <= response.status_code < 300:
            return
        if response.status_code < 500 and response.status_code not in _RETRYABLE_4XX:
            raise VendorRejected(response.status_code, response.text)
        raise _Retryable(f"HTTP {response.status_code}", _retry_after(response))


class _Retryable(Exception):
    """A send worth retrying (timeout, connection error, 5xx, 408, 429)."""

    def __init__(self, problem: str, retry_after: float = 0.0) -> None:
        super().__init__(problem)
        self.retry_after = retry_after


def _problem(state: RetryCallState) -> str:
    error = state.outcome.exception() if state.outcome else None
    return str(error) if error else "?"


def _retry_after_of(state: RetryCallState) -> float:
    error = state.outcome.exception() if state.outcome else None
    return error.retry_after if isinstance(error, _Retryable) else 0.0


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(float(response.headers.get("retry-after", 0)), 60.0)
    except ValueError:
        return 0.0
