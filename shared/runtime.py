"""Wiring of one service process: engine, broker, outbox relay, consumers and HTTP app.

Every service builds its process the same way::

    runtime = Runtime("ingest", settings, outbox_table=..., inbox_table=...)
    runtime.add_consumer(QueueSpec(...), handlers)          # worker and "all" modes
    runtime.add_batch_consumer(QueueSpec(...), batch_handlers)  # many events per commit
    app = runtime.http_app(api_router, consumers=True)      # FastAPI app with lifespan

The HTTP app always serves /healthz, /readyz, /metrics and the service's AsyncAPI document
(/asyncapi.json, /asyncapi: every queue named with ``runtime.document(...)`` and every event
the service publishes, whatever this process's mode); the API routes only when given,
every one of them behind the sign-in dependency (``shared.auth``) unless served on the
deliberately ``public`` router. A process serving an API also keeps its service's copy of
the API keys up to date (the ``<service>.api_keys`` queue).
The broker connection is retried in the background, so an API process starts (and answers
503 on writes) while RabbitMQ is down, and becomes ready when it comes back.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Mapping,
    MutableMapping,
    Sequence,
)
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse
from fastapi.telemetry import TelemetryConfig
from faststream.middlewares import AckPolicy
from faststream.rabbit import RabbitBroker
from faststream.rabbit.schemas import Channel
from faststream.specification import Specification
from sqlalchemy import MetaData, Table
from tenacity import AsyncRetrying, RetryCallState, wait_exponential_jitter

from shared import asyncapi, tracing
from shared.auth import apikeys, cutoffs
from shared.auth.dependency import Authenticator
from shared.batch_consumer import BatchConsumer, BatchHandler, SqlUnitOfWork
from shared.consumer import EventConsumer, Handler, WorkConsumer, WorkHandler
from shared.db import make_engine
from shared.envelope import Envelope, Received, new_event
from shared.errors import install_error_handlers, responses
from shared.health import health_router, install_request_middleware
from shared.hot_routes import HotRoute
from shared.logging import get_logger
from shared.outbox import OutboxRelay, publish_envelope
from shared.retention import Pruner, older_than, retention_loop
from shared.settings import ServiceSettings
from shared.tables import api_keys_table, outbox_table, session_cutoffs_table
from shared.topology import (
    ListenerSpec,
    QueueSpec,
    declare_exchange,
    declare_listener,
    declare_queue,
    exchange,
    queues_to_keep,
)

log = get_logger(__name__)

VERSION = "0.1.0"  # of every service's OpenAPI and AsyncAPI documents


def _telemetry() -> TelemetryConfig:
    """FastAPI's own OpenTelemetry layer: the server spans, with this process's provider
    when tracing is on (shared.tracing); entirely off otherwise, because its per-request
    provider checks (environment lookups) were ~5 % of a single-order POST's CPU. Its
    metrics and logs stay off: Beacon exports Prometheus metrics and structlog lines."""
    provider = tracing.provider()
    if provider is None:
        return {"tracing": False, "metrics": False, "logs": False}
    return {
        "tracer_provider": provider,
        "tracing": True,
        "metrics": False,
        "logs": False,
        "operation_spans": False,
        "auto_configure": False,
        "exclude": _untraced,
    }


# Probes and scrapes every few seconds would drown the traces; a stats WebSocket would be one
# span hours long (its pushes are traced as the stats.changed messages they come from).
_UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def _untraced(scope: MutableMapping[str, Any]) -> bool:
    return scope["type"] == "websocket" or scope.get("path") in _UNTRACED_PATHS


async def _as_is(message: Any) -> Any:
    """A FastStream decoder that decodes nothing: the handler gets the message itself."""
    return message


class Runtime:
    def __init__(
        self,
        service: str,
        settings: ServiceSettings,
        *,
        outbox_table: Table | None = None,
        inbox_table: Table | None = None,
        keep_outbox: bool = False,
    ) -> None:
        """``keep_outbox``: the outbox is the service's event log (replayed to rebuild read
        models downstream), so its rows are never pruned."""
        settings.require_env()  # unset or misspelt: refuse to start (docs/security.md)
        self.service = service
        self.settings = settings
        self.engine = make_engine(
            settings.mysql_url, settings.schema_name(service), settings.db_pool_size
        )
        self.broker = RabbitBroker(
            settings.amqp_url,
            default_channel=Channel(prefetch_count=settings.prefetch),
            log_level=logging.DEBUG,
            graceful_timeout=10,
        )
        self.exchange = exchange(settings, service)
        self.outbox_table = outbox_table
        self.inbox_table = inbox_table
        self.relay = (
            OutboxRelay(
                self.engine,
                outbox_table,
                self.broker,
                self.exchange,
                batch=settings.outbox_batch,
                poll_s=settings.outbox_poll_s,
                timeout=settings.publish_timeout_s,
            )
            if outbox_table is not None
            else None
        )
        self._queues: list[QueueSpec] = []
        self._documented: list[QueueSpec | ListenerSpec] = []
        self._consumed: list[QueueSpec | ListenerSpec] = []  # by this process
        self._asyncapi: Specification | None = None
        self._listeners: list[ListenerSpec] = []
        self._batch_consumers: list[BatchConsumer] = []
        self._channels: dict[str, Channel] = {}  # queues consumed on a channel of their own
        self.instance = uuid.uuid4().hex[:12]
        self._background: list[Callable[[asyncio.Event], Awaitable[None]]] = []
        self._ready_details: dict[str, Callable[[], dict[str, Any]]] = {}
        self.broker_ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._pruners: dict[str, Pruner] = {}
        if inbox_table is not None:
            self._pruners["inbox"] = older_than(inbox_table, "applied_at")
        if outbox_table is not None and not keep_outbox:
            self._pruners["outbox"] = older_than(outbox_table, "published_at")

    def add_consumer(
        self,
        spec: QueueSpec,
        handlers: Mapping[tuple[str, int], Handler],
        *,
        prefetch: int | None = None,
    ) -> None:
        """Register a queue and the handlers that apply its events through the inbox.

        ``prefetch``: consume on a channel of its own with this prefetch (how many of its
        messages are applied at once) instead of the shared default channel's, e.g. so a
        queue of big transactions cannot take the whole connection pool."""
        assert self.inbox_table is not None
        consumer = EventConsumer(
            name=spec.name,
            handlers=handlers,
            engine=self.engine,
            inbox_table=self.inbox_table,
            # A process without a relay (ingest's API) still writes the service's outbox
            # table; that service's worker relays it.
            outbox_table=self.outbox_table
            if self.outbox_table is not None
            else outbox_table(MetaData()),
            broker=self.broker,
            settings=self.settings,
            on_emitted=self.relay.notify if self.relay else (lambda: None),
        )
        queue = spec.queue(self.settings)
        queue.declare = False  # declared with all its bindings by declare_queue()

        # The decoder hands the message itself to the handler: EventConsumer parses the body
        # once, and an unannotated argument spares FastStream a thread hop per message to
        # resolve a Context annotation (measured at 10-15% of a worker).
        async def on_message(message: Any) -> None:
            await consumer(message)

        if prefetch is None:
            self.broker.subscriber(queue, ack_policy=AckPolicy.MANUAL, decoder=_as_is)(on_message)
        else:
            channel = Channel(prefetch_count=prefetch)
            self.broker.subscriber(
                queue, channel=channel, ack_policy=AckPolicy.MANUAL, decoder=_as_is
            )(on_message)
            self._channels[spec.name] = channel
        self._queues.append(spec)
        self._consumed.append(spec)

    def add_work_consumer(
        self, spec: QueueSpec, handlers: Mapping[tuple[str, int], WorkHandler], *, prefetch: int
    ) -> None:
        """Register a work queue (see shared.consumer.WorkConsumer), consumed on a channel of
        its own: ``prefetch`` is how many of its items are worked on at once."""
        consumer = WorkConsumer(spec.name, handlers, self.broker, self.settings)
        queue = spec.queue(self.settings)
        queue.declare = False  # declared with all its bindings by declare_queue()

        async def on_message(message: Any) -> None:
            await consumer(message)

        channel = Channel(prefetch_count=prefetch)
        self.broker.subscriber(queue, channel=channel, ack_policy=AckPolicy.MANUAL, decoder=_as_is)(
            on_message
        )
        self._channels[spec.name] = channel
        self._queues.append(spec)
        self._consumed.append(spec)

    def add_batch_consumer(
        self,
        spec: QueueSpec,
        handlers: Mapping[tuple[str, int], BatchHandler],
        *,
        max_messages: int | None = None,
        max_wait_ms: float | None = None,
        in_flight: int | None = None,
        max_rows: int | None = None,
        rows: Callable[[Received[Any]], int] = lambda _: 1,
    ) -> BatchConsumer:
        """Register a queue whose events are applied in batches (see shared.batch_consumer);
        the limits default to the ``batch_*`` settings. Its own channel, whose prefetch lets
        one batch gather while ``in_flight`` others are applied."""
        assert self.inbox_table is not None and self.outbox_table is not None
        settings = self.settings
        size = max_messages or settings.batch_max_messages
        flushes = in_flight or settings.batch_in_flight
        wait_ms = settings.batch_max_wait_ms if max_wait_ms is None else max_wait_ms
        consumer = BatchConsumer(
            spec.name,
            handlers,
            SqlUnitOfWork(self.engine, self.inbox_table, self.outbox_table),
            self.broker,
            settings,
            max_messages=size,
            max_wait_s=wait_ms / 1000,
            in_flight=flushes,
            max_rows=max_rows,
            rows=rows,
            on_emitted=self.relay.notify if self.relay else (lambda: None),
        )
        queue = spec.queue(settings)
        queue.declare = False  # declared with all its bindings by declare_queue()

        async def deliver(message: Any) -> None:
            await consumer(message)

        channel = Channel(prefetch_count=size * (flushes + 1))
        self.broker.subscriber(queue, channel=channel, ack_policy=AckPolicy.MANUAL, decoder=_as_is)(
            deliver
        )
        self._channels[spec.name] = channel
        self._queues.append(spec)
        self._consumed.append(spec)
        self._batch_consumers.append(consumer)
        return consumer

    def declare_only(self, spec: QueueSpec) -> None:
        """Declare a queue (bindings, DLQ) at connect without consuming from it.

        An API that answers 202 on the broker's confirm declares the queue its own worker
        consumes: a confirm for a message no queue is bound to yet (no worker has started)
        would be an accepted request silently dropped.
        """
        if spec not in self._queues:
            self._queues.append(spec)

    def add_listener(
        self, spec: ListenerSpec, handle: Callable[[Received[Any]], Awaitable[None]]
    ) -> None:
        """Feed every matching event to ``handle`` in this process (see ListenerSpec), its
        payload as the catalogue's model. Its rows are not key-checked here: a listener
        takes each row on its own (a bad one is skipped), on every replica, for every
        change."""
        queue = spec.queue(self.settings, self.instance)
        queue.declare = False

        async def on_message(message: Any) -> None:
            span = tracing.start_consuming(spec.purpose, message.headers)
            with tracing.current(span):
                error = await listen(message)
            tracing.finish(span, error)

        async def listen(message: Any) -> BaseException | None:
            try:
                envelope = Envelope.from_bytes(message.body)
                event = Received.of(envelope, check_rows=False)
            except ValueError as error:
                log.error("listener_bad_message", queue=spec.purpose, error=str(error)[:300])
                await message.ack()
                return error
            tracing.describe_event(
                tracing.current_span(),
                envelope.type,
                str(envelope.event_id),
                envelope.correlation_id,
            )
            failed = None
            try:
                await handle(event)
            except Exception as error:
                # The state a listener feeds is rebuilt at start; one missed update is
                # logged, never a message held unacknowledged.
                log.error("listener_failed", queue=spec.purpose, error=repr(error)[:300])
                failed = error
            await message.ack()
            return failed

        self.broker.subscriber(queue, ack_policy=AckPolicy.MANUAL, decoder=_as_is)(on_message)
        self._listeners.append(spec)
        self._consumed.append(spec)

    def document(self, *specs: QueueSpec | ListenerSpec) -> None:
        """Name the queues the service consumes, for its AsyncAPI document: all of them,
        in every mode, so the API process documents what the worker consumes too."""
        self._documented.extend(s for s in specs if s not in self._documented)

    def asyncapi(self) -> Specification:
        if self._asyncapi is None:
            consumed = [*self._documented]
            if self.service in apikeys.COPY_SERVICES:  # consumed by the API process
                consumed.append(apikeys.copy_queue(self.service))
            consumed += [q for q in self._consumed if q not in consumed]
            self._asyncapi = asyncapi.specification(
                self.service, self.settings, consumed, version=VERSION
            )
        return self._asyncapi

    def add_retention(self, name: str, pruner: Pruner) -> None:
        """Prune rows past the retention window (see shared.retention) in this process."""
        self._pruners[name] = pruner

    def add_ready_detail(self, name: str, describe: Callable[[], dict[str, Any]]) -> None:
        """Show ``describe()`` under ``name`` in ``/readyz`` (informational: it does not
        make the process unready)."""
        self._ready_details[name] = describe

    def add_background(self, task: Callable[[asyncio.Event], Awaitable[None]]) -> None:
        """A loop to run once the broker is up, until the process stops."""
        self._background.append(task)

    async def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._connect_forever()))

    async def _connect(self) -> None:
        keep = await queues_to_keep(self.settings, self._queues)
        await self.broker.connect()
        await declare_exchange(self.broker, self.settings, self.service)
        for spec in self._queues:
            channel = self._channels.get(spec.name)
            await declare_queue(self.broker, self.settings, spec, channel, keep=keep)
        for listener in self._listeners:
            await declare_listener(self.broker, self.settings, listener, self.instance)
        await self.broker.start()

    async def _connect_forever(self) -> None:
        # Until it works or the process stops: a service may start before its broker.
        def warn(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            log.warning(
                "broker_connect_failed", error=repr(error)[:200], retry_in=state.upcoming_sleep
            )

        try:
            await AsyncRetrying(
                wait=wait_exponential_jitter(multiplier=0.5, max=5.0),
                stop=lambda _: self._stop.is_set(),
                before_sleep=warn,
                reraise=True,
            )(self._connect)
        except Exception:
            return  # stopping before the broker ever answered
        self.broker_ready.set()
        log.info("broker_connected", consumers=[q.name for q in self._queues])
        loops = [task(self._stop) for task in self._background]
        if self._pruners and self.settings.retention_days > 0:
            sweep = retention_loop(
                self.engine,
                self._pruners,
                days=self.settings.retention_days,
                every_s=self.settings.retention_sweep_s,
            )
            loops.append(sweep(self._stop))
        if self.relay is not None:
            loops.append(self.relay.run(self._stop))
        await asyncio.gather(*loops)

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        # Batches being applied finish and ack while the channel is still open.
        for consumer in self._batch_consumers:
            await consumer.close()
        await self.broker.stop()
        await self.engine.dispose()

    async def _announce_key_used(self, key_id: str) -> None:
        """``api_key.used``, straight to the broker: losing one costs nothing (the next use
        within a minute announces it again), and it must not wait for a relay."""
        if not self.broker_ready.is_set():
            return
        at = datetime.now(UTC).isoformat()
        event = new_event(
            apikeys.USED, {"key_id": key_id, "at": at, "service": self.service}, self.service
        )
        await publish_envelope(
            self.broker, self.exchange, event, timeout=self.settings.publish_timeout_s
        )

    def _asyncapi_router(self) -> APIRouter:
        """Public, like /docs and /openapi.json: it names queues and event shapes, no data."""
        router = APIRouter(include_in_schema=False)

        @router.get("/asyncapi.json")
        async def asyncapi_json() -> Response:
            return Response(self.asyncapi().to_json(), media_type="application/json")

        @router.get("/asyncapi")
        async def asyncapi_html() -> HTMLResponse:
            return HTMLResponse(asyncapi.html(self.asyncapi()))

        return router

    def http_app(
        self,
        api: APIRouter | None,
        *,
        title: str,
        max_body_bytes: int | None = None,
        public: APIRouter | None = None,
        hot: Sequence[HotRoute] = (),
    ) -> FastAPI:
        """``api``: routes behind sign-in; ``public``: the few that must stay open; ``hot``:
        routes served ahead of both (``shared.hot_routes``), each authorizing itself."""
        auth = None
        if api is not None:
            # Built here, so a process with unsafe auth settings refuses to start.
            auth = Authenticator(
                self.service, self.settings, self.engine, on_key_used=self._announce_key_used
            )
            if self.service in apikeys.COPY_SERVICES:
                metadata = MetaData()
                handlers = {
                    **apikeys.copy_handlers(api_keys_table(metadata)),
                    **cutoffs.copy_handlers(session_cutoffs_table(metadata)),
                }
                self.add_consumer(apikeys.copy_queue(self.service), handlers)

        @asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            await self.start()
            try:
                yield
            finally:
                await self.stop()

        # FastAPI's own OpenTelemetry layer makes the server spans when tracing is on, and is
        # off otherwise (shared.tracing.fastapi_telemetry says why).
        app = FastAPI(
            title=title,
            lifespan=lifespan,
            version=VERSION,
            telemetry=_telemetry(),
        )
        app.state.runtime = self
        install_request_middleware(
            app, max_body_bytes=max_body_bytes or self.settings.max_body_bytes
        )
        install_error_handlers(app)
        app.add_middleware(
            CORSMiddleware,
            allow_origins=[self.settings.ui_origin],
            allow_methods=["*"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "X-Correlation-ID"],
        )
        app.include_router(
            health_router(
                self.engine, self.broker, self.broker_ready, self.service, self._ready_details
            )
        )
        app.include_router(self._asyncapi_router())
        # Every route can answer these (the body limit and the correlation id header are
        # checked for any request); a route adds its own (404, 503, ...) with responses().
        if public is not None:
            app.include_router(public, responses=responses(413, 422))
        if api is not None and auth is not None:
            app.state.auth = auth
            app.include_router(
                api,
                dependencies=[Depends(auth.dependency)],
                responses=responses(401, 403, 413, 422),
            )
        app.router.routes[0:0] = hot
        return app
