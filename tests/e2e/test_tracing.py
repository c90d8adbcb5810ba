"""One trace across HTTP and RabbitMQ (issue 25, observability): a customer POSTed to ingest
is published, stored by ingest's worker, announced through its outbox and relay over the
real RabbitMQ, and projected by segments' worker; every span on the way shares the
request's trace id, each hop is the child of the span that sent it, and each carries the
request's correlation id. Both services run in this process (their real lifespans: broker
connections, relays, consumers), so their spans land in one in-memory exporter.

And a real service process started with ``BEACON_OTEL_EXPORTER_OTLP_ENDPOINT`` POSTs its
spans to that collector's ``/v1/traces`` (a local stand-in, tests.support.otlp)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from services.campaigns.app import build_app as build_campaigns
from services.ingest.app import build_app as build_ingest
from services.segments.app import build_app as build_segments
from shared import tracing
from shared.runtime import Runtime
from tests.support.inprocess import migrate, settings_for
from tests.support.otlp import collecting
from tests.support.stack import Stack
from tests.support.wait import eventually

pytestmark = pytest.mark.integration


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Tracing on, into memory, for the apps built during the test (then off again)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install(provider)
    try:
        yield exporter
    finally:
        tracing.install(None)
        provider.shutdown()


@asynccontextmanager
async def running(stack: Stack, service: str, mode: str) -> AsyncIterator[FastAPI]:
    """``services.<service>`` built for ``mode`` and started as uvicorn would start it,
    on the real MariaDB and RabbitMQ; returns once its broker is connected."""
    settings = settings_for(stack, service)
    await migrate(settings, service)
    build = {"ingest": build_ingest, "segments": build_segments, "campaigns": build_campaigns}[
        service
    ]
    app = build(mode, settings)
    runtime: Runtime = app.state.runtime
    async with app.router.lifespan_context(app):
        await eventually(
            lambda: _value(runtime.broker_ready.is_set()), bool, what=f"{service} broker"
        )
        yield app


async def _value(value: Any) -> Any:
    return value


def one(spans: list[ReadableSpan], name: str, event_type: str | None = None) -> ReadableSpan:
    found = [
        s
        for s in spans
        if s.name == name
        and (event_type is None or (s.attributes or {}).get(tracing.EVENT_TYPE) == event_type)
    ]
    assert len(found) == 1, (name, event_type, [(s.name, s.attributes) for s in spans])
    return found[0]


def parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


async def test_a_request_is_one_trace_across_http_outbox_and_rabbitmq(
    stack: Stack, spans: InMemorySpanExporter
) -> None:
    cid = "trace-" + uuid.uuid4().hex[:12]
    ns = stack.namespace
    async with (
        running(stack, "segments", "worker"),
        running(stack, "ingest", "all") as ingest,
        AsyncClient(transport=ASGITransport(app=ingest), base_url="http://test") as client,
    ):
        answer = await client.post(
            "/api/v1/customers",
            json={"customer_id": "t1", "name": "Asha", "email": "asha@example.com"},
            headers={**stack.headers("marketer"), "X-Correlation-ID": cid},
        )
        assert answer.status_code == 202, answer.text
        assert (await client.get("/healthz")).status_code == 200  # probes are not traced
        # The last hop: segments' projection applied the announced customer and its relay
        # published what it emitted.
        await eventually(
            lambda: _value(spans.get_finished_spans()),
            lambda done: any(s.name == f"publish {ns}.beacon.segments" for s in done),
            what="segments' relay to publish the projection's event",
        )
    finished = list(spans.get_finished_spans())
    assert [s for s in finished if (s.attributes or {}).get("url.path") == "/healthz"] == []

    [server] = [
        s
        for s in finished
        if s.kind == SpanKind.SERVER and (s.attributes or {}).get("url.path") == "/api/v1/customers"
    ]
    submitted = one(finished, f"publish {ns}.beacon.ingest", "customer.submitted")
    stored = one(finished, "process ingest.persistence", "customer.submitted")
    stored_batch = one(finished, "apply ingest.persistence")
    relayed = one(finished, f"publish {ns}.beacon.ingest", "customer.upserted")
    projected = one(finished, "process segments.profiles", "customer.upserted")
    projected_batch = one(finished, "apply segments.profiles")
    announced = one(finished, f"publish {ns}.beacon.segments")
    chain = [
        server,
        submitted,
        stored,
        stored_batch,
        relayed,
        projected,
        projected_batch,
        announced,
    ]

    # One trace, begun by the request (no traceparent came with it).
    assert server.parent is None
    assert server.name == "POST /api/v1/customers"
    assert (server.attributes or {})["http.response.status_code"] == 202
    assert {s.context.trace_id for s in chain} == {server.context.trace_id}
    # Each hop the child of the one before: across the request's publish, RabbitMQ, the
    # batch, the outbox row (written in the batch's span, published later by the relay),
    # RabbitMQ again and segments' batch and outbox.
    for parent, child in zip(chain, chain[1:], strict=False):
        assert parent_of(child) == parent.context.span_id, (parent.name, child.name)
    assert (submitted.kind, relayed.kind, announced.kind) == (SpanKind.PRODUCER,) * 3
    assert (stored.kind, projected.kind) == (SpanKind.CONSUMER,) * 2
    # The correlation id on every span of it.
    assert [(s.attributes or {}).get(tracing.CORRELATION_ID) for s in chain] == [cid] * len(chain)
    assert (relayed.attributes or {})["messaging.destination.name"] == f"{ns}.beacon.ingest"
    assert (projected.attributes or {})["messaging.destination.name"] == "segments.profiles"


async def test_a_launch_is_one_trace_through_the_outbox_and_the_audience_publisher(
    stack: Stack, spans: InMemorySpanExporter
) -> None:
    """POST a campaign: campaigns writes ``campaign.launched`` to its outbox in the request
    (no publish there), its relay publishes it later, segments resolves the audience and its
    publisher (a loop reading the audiences table) announces it, which campaigns consumes."""
    cid = "launch-" + uuid.uuid4().hex[:12]
    ns = stack.namespace
    async with (
        running(stack, "segments", "worker"),
        running(stack, "campaigns", "all") as campaigns,
        AsyncClient(transport=ASGITransport(app=campaigns), base_url="http://test") as client,
    ):
        answer = await client.post(
            "/api/v1/campaigns",
            json={
                "name": "Traced",
                "rules": {
                    "combinator": "and",
                    "rules": [{"field": "visits", "operator": ">", "value": 1}],
                },
                "message": "Hi {name}",
            },
            headers={**stack.headers("marketer"), "X-Correlation-ID": cid},
        )
        assert answer.status_code == 201, answer.text
        await eventually(
            lambda: _value(spans.get_finished_spans()),
            lambda done: any(
                s.name == "process campaigns.progress"
                and (s.attributes or {}).get(tracing.EVENT_TYPE) == "audience.resolved"
                for s in done
            ),
            what="campaigns to consume the resolved audience",
        )
    finished = list(spans.get_finished_spans())
    [server] = [
        s
        for s in finished
        if s.kind == SpanKind.SERVER and (s.attributes or {}).get("url.path") == "/api/v1/campaigns"
    ]
    relayed = one(finished, f"publish {ns}.beacon.campaigns", "campaign.launched")
    resolving = one(finished, "process segments.audiences", "campaign.launched")
    announced = one(finished, f"publish {ns}.beacon.segments", "audience.resolved")
    progress = one(finished, "process campaigns.progress", "audience.resolved")
    chain = [server, relayed, resolving, announced, progress]
    assert server.name == "POST /api/v1/campaigns"
    assert {s.context.trace_id for s in chain} == {server.context.trace_id}
    for parent, child in zip(chain, chain[1:], strict=False):
        assert parent_of(child) == parent.context.span_id, (parent.name, child.name)
    assert [(s.attributes or {}).get(tracing.CORRELATION_ID) for s in chain] == [cid] * len(chain)


async def test_a_service_with_an_endpoint_exports_its_spans_over_otlp_http(stack: Stack) -> None:
    cid = "export-" + uuid.uuid4().hex[:12]
    with collecting() as collector:
        # A short export delay, so the test need not wait out the default 5 s.
        ingest = await asyncio.to_thread(
            stack.start,
            "ingest",
            "api",
            BEACON_OTEL_EXPORTER_OTLP_ENDPOINT=collector.url,
            OTEL_BSP_SCHEDULE_DELAY="100",
        )
        async with AsyncClient(base_url=ingest.url) as client:
            answer = await client.get(
                "/api/v1/customers",
                params={"limit": 1},
                headers={**stack.headers("viewer"), "X-Correlation-ID": cid},
            )
        assert answer.status_code == 200, answer.text
        spans = await eventually(
            lambda: _value(collector.spans()),
            lambda found: any(s.name == "GET /api/v1/customers" for s in found),
            what="the request's span at the collector",
        )
    [server] = [s for s in spans if s.name == "GET /api/v1/customers"]
    assert server.service == "beacon-ingest"
    assert server.attributes[tracing.CORRELATION_ID] == cid
    assert server.attributes["http.response.status_code"] == 200
    assert {path for path, _, _ in collector.requests()} == {"/v1/traces"}
    assert {ctype for _, ctype, _ in collector.requests()} == {"application/x-protobuf"}
    # Probes (the readiness checks that waited for the process) are not traced.
    assert [s for s in spans if s.attributes.get("url.path") == "/readyz"] == []
