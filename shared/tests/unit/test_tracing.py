"""shared.tracing: off without an endpoint (no provider, no spans, no headers), and with one,
spans POSTed as OTLP/HTTP protobuf to ``<endpoint>/v1/traces`` (a local HTTP server here
stands in for the collector); the W3C context round trip a message hop relies on."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from shared import tracing
from shared.settings import ServiceSettings
from tests.support.otlp import Collector, collecting


@pytest.fixture
def collector() -> Iterator[Collector]:
    with collecting() as server:
        yield server


@pytest.fixture
def memory() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install(provider)
    try:
        yield exporter
    finally:
        tracing.install(None)


def test_off_without_an_endpoint_nothing_is_traced() -> None:
    assert ServiceSettings().otel_exporter_otlp_endpoint == ""
    assert tracing.build_provider("ingest", "") is None
    assert tracing.build_provider("ingest", "  ") is None
    assert tracing.configure_tracing("ingest", "") is None
    assert not tracing.enabled() and tracing.provider() is None
    assert tracing.current_traceparent() is None
    assert (
        tracing.start_consuming("q", {"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01"})
        is None
    )
    with tracing.publishing("ex", "t", event_id="e", correlation_id="c") as headers:
        assert headers is None
    # A row written while another process traced keeps its context on the wire.
    row = "00-" + "a" * 32 + "-" + "b" * 16 + "-01"
    with tracing.publishing(
        "ex", "t", event_id="e", correlation_id="c", traceparent=row
    ) as headers:
        assert headers == {"traceparent": row}
    assert tracing.add_trace_ids(None, "info", {"event": "x"}) == {"event": "x"}


def test_with_an_endpoint_spans_are_posted_as_otlp_http(collector: Collector) -> None:
    provider = tracing.build_provider("segments", collector.url + "/")
    assert provider is not None
    with provider.get_tracer("test").start_as_current_span("process segments.profiles") as span:
        span.set_attribute(tracing.CORRELATION_ID, "cid-1")
    assert provider.force_flush(10_000)
    provider.shutdown()
    deadline = time.monotonic() + 10
    while not collector.requests():
        assert time.monotonic() < deadline, "no request reached the collector"
        time.sleep(0.02)
    [(path, content_type, _)] = collector.requests()
    assert (path, content_type) == ("/v1/traces", "application/x-protobuf")
    [exported] = collector.spans()
    assert (exported.service, exported.name) == ("beacon-segments", "process segments.profiles")
    assert exported.attributes == {tracing.CORRELATION_ID: "cid-1"}


def test_a_message_hop_continues_the_trace(memory: InMemorySpanExporter) -> None:
    """publish (inside a request's span) -> headers -> process: parent and child, one trace."""
    tracer = tracing.provider().get_tracer("test")  # type: ignore[union-attr]
    with tracer.start_as_current_span("POST /x") as request:
        written = tracing.current_traceparent()  # what an outbox row keeps
        with tracing.publishing(
            "beacon.x", "thing.done", event_id="e1", correlation_id="c1"
        ) as headers:
            assert headers is not None
    context = request.get_span_context()
    assert written is not None
    assert written[:52] == f"00-{context.trace_id:032x}-{context.span_id:016x}"
    assert int(written[-2:], 16) & 1  # sampled
    consumer = tracing.start_consuming("y.things", headers)
    tracing.describe_event(consumer, "thing.done", "e1", "c1")
    tracing.finish(consumer, "dead-lettered")
    # The relay, later and elsewhere, from the row's traceparent alone.
    with tracing.publishing(
        "beacon.x", "thing.done", event_id="e2", correlation_id="c1", traceparent=written
    ):
        pass
    by_name: dict[str, list] = {}
    for span in memory.get_finished_spans():
        by_name.setdefault(span.name, []).append(span)
    [root] = by_name["POST /x"]
    first, relayed = by_name["publish beacon.x"]
    [processed] = by_name["process y.things"]
    trace_id = root.context.trace_id
    assert {s.context.trace_id for s in (first, relayed, processed)} == {trace_id}
    assert first.parent.span_id == root.context.span_id and first.kind == SpanKind.PRODUCER
    assert relayed.parent.span_id == root.context.span_id
    assert processed.parent.span_id == first.context.span_id
    assert processed.kind == SpanKind.CONSUMER and not processed.status.is_ok
    assert processed.attributes[tracing.CORRELATION_ID] == "c1"
    assert processed.attributes["messaging.message.id"] == "e1"
    assert first.attributes["messaging.rabbitmq.destination.routing_key"] == "thing.done"


def test_log_lines_inside_a_span_carry_its_trace_id(memory: InMemorySpanExporter) -> None:
    tracer = tracing.provider().get_tracer("test")  # type: ignore[union-attr]
    with tracer.start_as_current_span("work") as span:
        line = tracing.add_trace_ids(None, "info", {"event": "x"})
    context = span.get_span_context()
    assert line == {
        "event": "x",
        "trace_id": format(context.trace_id, "032x"),
        "span_id": format(context.span_id, "016x"),
    }
