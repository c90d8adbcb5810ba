"""Email over SMTP (aiosmtplib): pooled connections, a per-host rate limit, retries.

``smtp_pool_size`` connections are kept open and reused, one message on each at a time
(so it is also the concurrency); a connection that errs is dropped and a new one made.
Each message is built by ``domain.email`` (Message-ID from Beacon's message id, so a resend
after a crash is the same message to the receiving side; one-click unsubscribe headers;
the footer). The server's answer decides: 2xx sent; a 5xx refusal of the recipient or the
message failed, with the reply as the reason; anything else (4xx, a dropped connection, a
timeout, or a server-wide problem such as a refused login or sender) is retried with
back-off until the deadline, then left for the work item's redelivery.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import aiosmtplib
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    wait_exponential_jitter,
)

from services.delivery.channels import ChannelResult, Outcome, collect
from services.delivery.domain.email import Sender, build_email
from services.delivery.domain.pacing import TokenBucket
from services.delivery.metrics import VENDOR_ERRORS
from services.delivery.settings import DeliverySettings
from services.delivery.store.log import Outgoing
from shared.logging import get_logger
from shared.unsubscribe import make_token

log = get_logger(__name__)
UNSUBSCRIBE_PATH = "/api/v1/unsubscribe"


class _Transient(Exception):
    """Worth another try (4xx, connection trouble, a server-wide refusal)."""


class _Refused(Exception):
    """A 5xx for this recipient or message: it will never be taken as it is."""


def classify(error: Exception) -> Exception:
    """An aiosmtplib error as :class:`_Refused` (permanent, this message's) or
    :class:`_Transient` (anything else)."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in error.recipients]
        reason = "; ".join(f"{r.code} {r.message}" for r in error.recipients)
        if codes and all(c >= 500 for c in codes):
            return _Refused(reason)
        return _Transient(reason)
    if isinstance(error, (aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPDataError)):
        text = f"{error.code} {error.message}"
        return _Refused(text) if error.code >= 500 else _Transient(text)
    if isinstance(error, aiosmtplib.SMTPResponseException):
        # Login, MAIL FROM, HELO: the server's or our configuration's problem, not this
        # recipient's; never a reason to fail the message.
        return _Transient(f"{error.code} {error.message}")
    return _Transient(repr(error)[:300])


class SmtpChannel:
    def __init__(self, settings: DeliverySettings) -> None:
        self._settings = settings
        self._sender = Sender(settings.smtp_from, settings.smtp_postal_address)
        self._slots = asyncio.Semaphore(settings.smtp_pool_size)
        self._idle: list[aiosmtplib.SMTP] = []
        self._bucket = TokenBucket(settings.smtp_rate_limit)
        base = settings.send_backoff_base_s
        self._wait = wait_exponential_jitter(
            multiplier=base, max=settings.send_backoff_max_s, jitter=base
        )

    def unsubscribe_url(self, customer_id: str) -> str:
        token = make_token(self._settings.unsubscribe_secret, customer_id, "email")
        return f"{self._settings.unsubscribe_base_url.rstrip('/')}{UNSUBSCRIBE_PATH}?token={token}"

    async def send(self, batch: Sequence[Outgoing], *, deadline: float) -> ChannelResult:
        return collect(batch, await asyncio.gather(*(self._send_one(m, deadline) for m in batch)))

    async def _send_one(self, message: Outgoing, deadline: float) -> Outcome:
        loop = asyncio.get_running_loop()
        email = build_email(
            message_id=message.message_id,
            to=message.to,
            subject=message.subject or "",
            body=message.body,
            unsubscribe_url=self.unsubscribe_url(message.customer_id),
            sender=self._sender,
        )

        def past_deadline(state: RetryCallState) -> bool:
            return loop.time() + state.upcoming_sleep > deadline

        def log_retry(state: RetryCallState) -> None:
            VENDOR_ERRORS.labels("retried").inc()
            error = state.outcome.exception() if state.outcome else None
            log.warning("smtp_send_retry", attempt=state.attempt_number, problem=str(error))

        retrying = AsyncRetrying(
            retry=retry_if_exception_type(_Transient),
            wait=self._wait,
            stop=past_deadline,
            before_sleep=log_retry,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    await self._attempt(email, message.to)
        except _Refused as error:
            return "failed", f"smtp: {error}"[:500]
        except _Transient as error:
            return "retry", f"smtp: {error}"[:500]
        return "sent", ""

    async def _attempt(self, email: object, to: str) -> None:
        """One try on a pooled connection; a connection that erred is not reused."""
        async with self._slots:
            wait = self._bucket.reserve(1, asyncio.get_running_loop().time())
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                smtp = await self._connection()
            except Exception as error:  # refused, timed out, TLS or login failed
                raise _Transient(f"connect: {classify(error)}") from error
            try:
                await smtp.send_message(email, recipients=[to])  # type: ignore[arg-type]
            except Exception as error:
                await _quietly_close(smtp)
                raise classify(error) from error
            self._idle.append(smtp)

    async def _connection(self) -> aiosmtplib.SMTP:
        """An idle pooled connection still open (the server may have closed one that sat
        idle), else a new one."""
        while self._idle:
            smtp = self._idle.pop()
            if smtp.is_connected:
                return smtp
            smtp.close()
        return await self._connect()

    async def _connect(self) -> aiosmtplib.SMTP:
        s = self._settings
        smtp = aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            use_tls=s.smtp_tls == "tls",
            start_tls=True if s.smtp_tls == "starttls" else False,
            username=s.smtp_user or None,
            password=s.smtp_password or None,
            timeout=s.smtp_timeout_s,
        )
        await smtp.connect()
        return smtp

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for smtp in idle:
            await _quietly_close(smtp)


async def _quietly_close(smtp: aiosmtplib.SMTP) -> None:
    try:
        if smtp.is_connected:
            await smtp.quit()
    except Exception:  # closing a broken connection: nothing left to do with it
        smtp.close()
