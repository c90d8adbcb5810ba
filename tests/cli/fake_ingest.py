"""A fake ingest service for the CLI's tests: the imports API and the batch routes as the
spec (issue 23) describes them, in a thread of the test's process, with no database.

It keeps what it was sent (``.items``), refuses items a test marks (``refuse``: a predicate
on the item -> (field, message)), answers the batch route with a status a test chooses
(``fail_with``), and finishes a sealed import after ``polls_to_finish`` looks.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

Refuse = Callable[[dict[str, Any]], tuple[str, str] | None]


@dataclass
class FakeIngest:
    refuse: Refuse = lambda item: None
    fail_with: int | None = None
    polls_to_finish: int = 2
    imports: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by import id
    erased: list[str] = field(default_factory=list)
    seen_ids: set[str] = field(default_factory=set)
    known_customers: set[str] = field(default_factory=set)
    url: str = ""
    _polls: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        with self._lock:
            return self._handle(method, path, body)

    def _handle(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        path = path.split("?")[0]
        if method == "POST" and path == "/api/v1/imports":
            import_id = str(len(self.imports) + 1)
            self.imports[import_id] = {
                "import_id": import_id,
                "kind": body["kind"],
                "source": body["source"],
                "file_name": body["file_name"],
                "status": "open",
                "created_at": "2026-12-07T00:00:00Z",
                "created_by": {"sub": "t", "email": "t@example.in"},
                "sent": 0,
                "bad": 0,
                "processed": 0,
                "counts": dict.fromkeys(
                    ("new", "updated", "unchanged", "merged", "stale", "erased", "no_customer"), 0
                ),
                "undo": None,
                "finished_at": None,
            }
            self.items[import_id] = []
            return 201, self.imports[import_id]
        if method == "GET" and path == "/api/v1/imports":
            return 200, {"items": list(reversed(self.imports.values())), "next_cursor": None}
        found = re.fullmatch(r"/api/v1/imports/(\d+)(/seal|/undo)?", path)
        if found:
            one = self.imports.get(found[1])
            if one is None:
                return 404, _error(404, "no such import")
            if found[2] == "/seal":
                one.update(status="sealed", sent=body["sent"], bad=body["bad"])
                self._polls[found[1]] = 0
                return 200, one
            if found[2] == "/undo":
                one["status"] = "undoing"
                return 202, one
            self._advance(found[1], one)
            return 200, one
        found = re.fullmatch(r"/api/v1/(customers|orders)", path)
        if method == "POST" and found:
            if self.fail_with is not None:
                return self.fail_with, _error(self.fail_with, "broken on purpose")
            one = self.imports.get(str(body.get("import_id")))
            if one is None or one["status"] != "open":
                return 422, _error(422, "import_id: not an open import")
            errors = []
            for index, item in enumerate(body["items"]):
                refused = self.refuse(item)
                if refused is not None:
                    errors.append(
                        {
                            "field": f"body.items[{index}].{refused[0]}",
                            "message": refused[1],
                            "type": "value_error",
                        }
                    )
            if errors:
                return 422, {**_error(422, "invalid items"), "errors": errors}
            self.items[one["import_id"]].extend(body["items"])
            return 202, {"accepted": len(body["items"])}
        found = re.fullmatch(r"/api/v1/customers/(.+)", path)
        if method == "DELETE" and found:
            self.erased.append(unquote(found[1]))
            return 202, {"customer_id": found[1]}
        return 404, _error(404, f"no route {method} {path}")

    def _advance(self, import_id: str, one: dict[str, Any]) -> None:
        """A sealed import is processed over a few looks; an undo finishes on the next."""
        if one["status"] == "undoing":
            sent = self.items[import_id]
            one.update(status="undone", undo={"restored": 0, "removed": len(sent), "conflicts": 0})
            return
        if one["status"] != "sealed":
            return
        self._polls[import_id] = self._polls.get(import_id, 0) + 1
        sent = self.items[import_id]
        if self._polls[import_id] < self.polls_to_finish:
            one["processed"] = len(sent) // 2
            return
        counts = one["counts"]
        for item in sent:
            key = item.get("order_id") or item.get("customer_id") or item.get("email", "")
            counts["updated" if key in self.seen_ids else "new"] += 1
            self.seen_ids.add(key)
            if "order_id" not in item:
                self.known_customers.add(str(item.get("email") or item.get("customer_id")).lower())
            elif str(item.get("customer_email") or item.get("customer_id")).lower() not in (
                self.known_customers
            ):
                counts["no_customer"] += 1
        one.update(status="done", processed=len(sent), finished_at="2026-12-07T00:00:01Z")


def _error(status: int, message: str) -> dict[str, Any]:
    return {
        "detail": message,
        "message": message,
        "code": str(status),
        "correlation_id": "c1",
        "errors": [],
    }


@contextmanager
def serve(fake: FakeIngest) -> Iterator[FakeIngest]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            status, answer = fake.handle(self.command, self.path, json.loads(raw) if raw else None)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
