"""OpenTelemetry traces across HTTP and RabbitMQ, carrying the correlation id.

Off unless ``BEACON_OTEL_EXPORTER_OTLP_ENDPOINT`` is set: then :func:`configure_tracing`
installs an SDK tracer provider whose spans are batched to ``<endpoint>/v1/traces`` over
OTLP/HTTP (protobuf). Off, every helper here returns at its first check of a module
global (no tracer, no span objects, no headers), so an untraced process pays nothing
measurable.

The spans (names follow OpenTelemetry's messaging conventions, ``<operation> <destination>``):
- ``POST /api/v1/...`` (server): FastAPI's own telemetry (``FastAPI(telemetry=...)``,
  see :func:`fastapi_telemetry`), a child of an incoming W3C ``traceparent`` header;
- ``publish <exchange>`` (producer): every message sent to an exchange, whether straight
  from a request (``shared.publishing``) or by the outbox relay; its context travels in
  the message's ``traceparent`` header;
- ``process <queue>`` (consumer): one per delivered message, a child of that header;
- ``apply <queue>`` (internal): one per batch of a batched consumer, a child of its first
  message's span and linked to every other one (a batch serves several traces).

An event written to the outbox keeps the ``traceparent`` of the span that wrote it (the
request's, the consumer's) in its row, and the relay's ``publish`` span is that span's
child, however long after the row was committed. Every span carries the correlation id as
``beacon.correlation_id``; the log lines written inside one carry ``trace_id`` and
``span_id`` (:func:`add_trace_ids`, a structlog processor).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

# Domain code imports this module (through shared.logging and shared.envelope), so it
# imports no Beacon settings nor web framework (callers pass plain values), and the SDK only
# where a provider is built.
if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

CORRELATION_ID = "beacon.correlation_id"
EVENT_TYPE = "beacon.event_type"
TRACEPARENT = "traceparent"
_PROPAGATOR = TraceContextTextMapPropagator()
_NOTHING = nullcontext()  # reusable: tracing off, a consumer's span is None
_provider: TracerProvider | None = None
_tracer: Tracer | None = None


def traces_endpoint(base: str) -> str:
    """The OTLP/HTTP traces URL of a collector's base URL, as the OpenTelemetry
    specification builds it from ``OTEL_EXPORTER_OTLP_ENDPOINT``."""
    return base.rstrip("/") + "/v1/traces"


def build_provider(service: str, endpoint: str) -> TracerProvider | None:
    """A tracer provider exporting to the OTLP/HTTP collector at ``endpoint`` (its base
    URL); ``None`` when no endpoint is given (tracing off). Its spans name the service
    ``beacon-<service>`` (``service.name``)."""
    endpoint = endpoint.strip()
    if not endpoint:
        return None
    # Imported here: an untraced process never loads the SDK's exporter (requests, protobuf).
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(
        resource=Resource.create(
            {"service.name": f"beacon-{service}", "service.namespace": "beacon"}
        )
    )
    # Headers, timeout, compression and TLS files come from the standard OTEL_EXPORTER_OTLP_*
    # variables, which the exporter reads itself.
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(traces_endpoint(endpoint))))
    return provider


def configure_tracing(service: str, endpoint: str) -> TracerProvider | None:
    """Turn tracing on for this process if an endpoint is given (see :func:`build_provider`);
    the provider, or ``None`` (off)."""
    provider = build_provider(service, endpoint)
    if provider is not None:
        install(provider)
    return provider


def install(provider: TracerProvider | None) -> None:
    """Trace with ``provider`` from now on (``None``: off). Tests install one whose
    exporter keeps spans in memory. The first provider also becomes OpenTelemetry's
    global one (which can be set only once per process), for libraries that use it."""
    global _provider, _tracer
    _provider = provider
    _tracer = provider.get_tracer("beacon") if provider is not None else None
    if provider is not None and isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        trace.set_tracer_provider(provider)


def shutdown() -> None:
    """Export what is buffered and stop (a process's exit)."""
    provider = _provider
    install(None)
    if provider is not None:
        provider.shutdown()


def enabled() -> bool:
    return _tracer is not None


def provider() -> TracerProvider | None:
    return _provider


def annotate(correlation_id: str | None) -> None:
    """Put the correlation id on the current span (the HTTP middleware, once bound)."""
    if _tracer is not None and correlation_id:
        trace.get_current_span().set_attribute(CORRELATION_ID, correlation_id)


def name_route(method: str, route: str) -> None:
    """Name the current server span for its route template, as FastAPI does for its own
    routes: Beacon's hot routes (plain Starlette routes, ``shared.hot_routes``) are not."""
    if _tracer is not None:
        span = trace.get_current_span()
        span.set_attribute("http.route", route)
        span.update_name(f"{method} {route}")


def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the current span, kept with an outbox row; ``None`` when
    tracing is off or no span is current."""
    if _tracer is None:
        return None
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get(TRACEPARENT)


def _parent(traceparent: str | None) -> Context | None:
    if not traceparent:
        return None
    return _PROPAGATOR.extract({TRACEPARENT: traceparent})


def _attributes(
    destination: str, type_: str, event_id: str | None, correlation_id: str | None
) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "messaging.system": "rabbitmq",
        "messaging.destination.name": destination,
        EVENT_TYPE: type_,
    }
    if event_id:
        attributes["messaging.message.id"] = event_id
    if correlation_id:
        attributes[CORRELATION_ID] = correlation_id
    return attributes


@contextmanager
def publishing(
    exchange: str,
    routing_key: str,
    *,
    event_id: str,
    correlation_id: str | None,
    traceparent: str | None = None,
) -> Iterator[dict[str, Any] | None]:
    """A ``publish <exchange>`` span around one publish, yielding the message headers that
    carry its context. Its parent is ``traceparent`` (an outbox row's) when given, else the
    current span. Tracing off: a row's ``traceparent`` is passed on as it is (another
    process may trace), or no headers at all."""
    if _tracer is None:
        yield {TRACEPARENT: traceparent} if traceparent else None
        return
    attributes = _attributes(exchange, routing_key, event_id, correlation_id)
    attributes["messaging.operation.type"] = "send"
    attributes["messaging.rabbitmq.destination.routing_key"] = routing_key
    with _tracer.start_as_current_span(
        f"publish {exchange}",
        context=_parent(traceparent),
        kind=SpanKind.PRODUCER,
        attributes=attributes,
    ):
        headers: dict[str, Any] = {}
        _PROPAGATOR.inject(headers)
        yield headers


def _header(headers: Mapping[str, Any] | None) -> str | None:
    value = (headers or {}).get(TRACEPARENT)
    if isinstance(value, bytes):  # AMQP may hand a header back as bytes
        value = value.decode("latin-1")
    return value if isinstance(value, str) else None


def start_consuming(queue: str, headers: Mapping[str, Any] | None) -> Span | None:
    """A ``process <queue>`` span for one delivered message, a child of the publisher's
    span in its headers; not made current (a batched message's span outlives the call
    that received it). The caller ends it (:func:`finish`). ``None`` when tracing is off."""
    if _tracer is None:
        return None
    return _tracer.start_span(
        f"process {queue}",
        context=_parent(_header(headers)),
        kind=SpanKind.CONSUMER,
        attributes={
            "messaging.system": "rabbitmq",
            "messaging.destination.name": queue,
            "messaging.operation.type": "process",
        },
    )


def current_span() -> Span | None:
    """The current span (``None`` when tracing is off)."""
    return trace.get_current_span() if _tracer is not None else None


def describe_event(
    span: Span | None, type_: str, event_id: str, correlation_id: str | None
) -> None:
    """Name the event a consumer span handles, once its envelope is parsed."""
    if span is None:
        return
    span.set_attribute(EVENT_TYPE, type_)
    span.set_attribute("messaging.message.id", event_id)
    if correlation_id:
        span.set_attribute(CORRELATION_ID, correlation_id)


def finish(span: Span | None, error: BaseException | str | None = None) -> None:
    """End a consumer span; an error (dead-lettered, requeued) marks it failed."""
    if span is None:
        return
    if isinstance(error, BaseException):
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"[:300]))
    elif error:
        span.set_status(Status(StatusCode.ERROR, error[:300]))
    span.end()


def current(span: Span | None) -> AbstractContextManager[Any]:
    """Make ``span`` current, so what runs inside (an outbox write, a publish) is its child."""
    if span is None:
        return _NOTHING
    return trace.use_span(span, end_on_exit=False, record_exception=False)


@contextmanager
def resumed(traceparent: str | None) -> Iterator[None]:
    """Continue, for the block, the trace a stored ``traceparent`` names (work picked up
    from a table later, e.g. segments' audience publisher): what starts inside is its child."""
    if _tracer is None or not traceparent:
        yield
        return
    token = otel_context.attach(_PROPAGATOR.extract({TRACEPARENT: traceparent}))
    try:
        yield
    finally:
        otel_context.detach(token)


@contextmanager
def applying(
    queue: str, spans: Sequence[Span | None], correlation_ids: Sequence[str | None]
) -> Iterator[None]:
    """An ``apply <queue>`` span around one batch's transaction, made current (the events
    the batch emits keep its context): a child of the first message's span, linked to the
    others' (their traces meet here)."""
    live = [s for s in spans if s is not None]
    if _tracer is None or not live:
        yield
        return
    ids = sorted({c for c in correlation_ids if c})
    attributes: dict[str, Any] = {"messaging.batch.message_count": len(spans)}
    if ids:
        # One id when the batch serves one request (the common case); several otherwise.
        attributes[CORRELATION_ID] = ids[0] if len(ids) == 1 else ",".join(ids)[:1000]
    with _tracer.start_as_current_span(
        f"apply {queue}",
        context=trace.set_span_in_context(live[0]),
        links=[Link(s.get_span_context()) for s in live[1:]],
        attributes=attributes,
    ):
        yield


def add_trace_ids(
    _: Any, __: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: the current span's ``trace_id`` and ``span_id`` on a log line."""
    if _tracer is not None:
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            event_dict.setdefault("trace_id", format(context.trace_id, "032x"))
            event_dict.setdefault("span_id", format(context.span_id, "016x"))
    return event_dict
