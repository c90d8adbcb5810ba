"""A stand-in OpenTelemetry collector: a tiny OTLP/HTTP receiver on 127.0.0.1 that records
every POST (path, content type, body) and decodes the spans of ``/v1/traces`` requests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


@dataclass(frozen=True)
class ExportedSpan:
    service: str  # the resource's service.name
    name: str
    attributes: dict[str, Any]
    trace_id: str
    span_id: str
    parent_span_id: str


class Collector(ThreadingHTTPServer):
    """Records each POST as (path, content type, body) and answers 200."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str, bytes]] = []
        self._lock = threading.Lock()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with collector._lock:
                    collector.received.append(
                        (self.path, self.headers.get("Content-Type", ""), body)
                    )
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def requests(self) -> list[tuple[str, str, bytes]]:
        with self._lock:
            return list(self.received)

    def spans(self) -> list[ExportedSpan]:
        """Every span of every ``/v1/traces`` request received so far."""
        found: list[ExportedSpan] = []
        for path, _, body in self.requests():
            if path != "/v1/traces":
                continue
            for resource_spans in ExportTraceServiceRequest.FromString(body).resource_spans:
                resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        found.append(
                            ExportedSpan(
                                service=resource.get("service.name", ""),
                                name=span.name,
                                attributes={a.key: _value(a.value) for a in span.attributes},
                                trace_id=span.trace_id.hex(),
                                span_id=span.span_id.hex(),
                                parent_span_id=span.parent_span_id.hex(),
                            )
                        )
        return found


def _value(value: Any) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


@contextmanager
def collecting() -> Iterator[Collector]:
    """A :class:`Collector` serving in a thread for the block."""
    server = Collector()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
