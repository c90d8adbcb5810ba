"""shared.tracing: off without an endpoint (no provider, no spans, no headers), and with one,
spans POSTed as OTLP/HTTP protobuf to ``<endpoint>/v1/traces`` (a local HTTP server here
stands in for the collector); the W3C context round trip a message hop relies on."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from shared import tracing
from shared.settings import ServiceSettings


class Collector(ThreadingHTTPServer):
    """Records each request's method, path, content type and body; answers 200."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str, str, bytes]] = []
        self.arrived = threading.Event()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                collector.received.append(
                    ("POST", self.path, self.headers.get("Content-Type", ""), body)
                )
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()
                collector.arrived.set()

            def log_message(self, *_: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)


@pytest.fixture
def collector() -> Iterator[Collector]:
    server = Collector()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


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
    port = collector.server_address[1]
    provider = tracing.build_provider("segments", f"http://127.0.0.1:{port}/")
    assert provider is not None
    with provider.get_tracer("test").start_as_current_span("process segments.profiles") as span:
        span.set_attribute(tracing.CORRELATION_ID, "cid-1")
    assert provider.force_flush(10_000)
    assert collector.arrived.wait(10)
    provider.shutdown()
    [(method, path, content_type, body)] = collector.received
    assert (method, path, content_type) == ("POST", "/v1/traces", "application/x-protobuf")
    request = ExportTraceServiceRequest.FromString(body)
    [resource_spans] = request.resource_spans
    resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert resource["service.name"] == "beacon-segments"
    [scope_spans] = resource_spans.scope_spans
    [exported] = scope_spans.spans
    assert exported.name == "process segments.profiles"
    assert {a.key: a.value.string_value for a in exported.attributes} == {
        tracing.CORRELATION_ID: "cid-1"
    }


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
