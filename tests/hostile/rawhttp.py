"""HTTP that an ordinary client refuses to send: a Content-Length that lies, a chunked body
that never ends. Raw asyncio streams, so the test sees when the server answers."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

CHUNK = 1024 * 1024


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float  # from the first byte sent to the response's status line
    bytes_sent: int  # of the body, before the server answered

    def json(self) -> Any:
        return orjson.loads(self.body)


def _head(method: str, url: str, path: str, headers: Mapping[str, str]) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return host, port, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    headers = {}
    for line in header_lines:
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = await reader.readexactly(length) if length else b""
    return status, headers, body


async def declared_length(
    url: str,
    path: str,
    declared: int,
    *,
    sent: bytes = b'{"items": [',
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> RawResponse:
    """POST announcing ``declared`` bytes but sending only ``sent``; wait for the answer."""
    all_headers = {
        "Content-Type": "application/json",
        "Content-Length": str(declared),
        "Connection": "close",
        **(headers or {}),
    }
    host, port, head = _head("POST", url, path, all_headers)
    reader, writer = await asyncio.open_connection(host, port)
    try:
        started = time.monotonic()
        writer.write(head + sent)
        await writer.drain()
        status, got_headers, body = await asyncio.wait_for(_read_response(reader), timeout)
        return RawResponse(status, got_headers, body, time.monotonic() - started, len(sent))
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def endless_chunks(
    url: str,
    path: str,
    *,
    chunk: bytes,
    max_bytes: int,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> RawResponse:
    """POST a chunked body of ``chunk`` repeated, until the server answers (or ``max_bytes``
    were sent, then finish the body properly and wait for the answer)."""
    all_headers = {
        "Content-Type": "application/json",
        "Transfer-Encoding": "chunked",
        "Connection": "close",
        **(headers or {}),
    }
    host, port, head = _head("POST", url, path, all_headers)
    reader, writer = await asyncio.open_connection(host, port)
    started = time.monotonic()
    answer = asyncio.create_task(_read_response(reader))
    sent = 0
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    try:
        writer.write(head)
        while sent < max_bytes and not answer.done():
            writer.write(framed)
            try:
                await writer.drain()
            except (ConnectionError, OSError):
                break  # the server closed while we wrote: its answer is (or was) on the way
            sent += len(chunk)
            await asyncio.sleep(0)
        if not answer.done():
            with contextlib.suppress(ConnectionError, OSError):
                writer.write(b"0\r\n\r\n")
                await writer.drain()
        try:
            status, got_headers, body = await asyncio.wait_for(answer, timeout)
        except ConnectionResetError:
            # The server closed with our body unread: the kernel's RST may discard its
            # answer before we read it. Status 0 says "cut off, answer lost".
            return RawResponse(0, {}, b"", time.monotonic() - started, sent)
        return RawResponse(status, got_headers, body, time.monotonic() - started, sent)
    finally:
        answer.cancel()
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def post_body(
    url: str,
    path: str,
    body: bytes,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> RawResponse:
    """POST ``body`` with its true Content-Length and ``Expect: 100-continue`` (as curl does
    for large bodies): a server that refuses the body unread answers at once, before a byte
    of it is sent; otherwise its ``100 Continue`` releases the body, written in chunks until
    the server answers. Without this, a server that closes after an early 413 with the body
    unread makes the kernel reset the connection, and the client never sees the 413."""
    all_headers = {
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
        "Expect": "100-continue",
        "Connection": "close",
        **(headers or {}),
    }
    host, port, head = _head("POST", url, path, all_headers)
    reader, writer = await asyncio.open_connection(host, port)
    started = time.monotonic()
    answer = asyncio.create_task(_read_response(reader))
    sent = 0
    try:
        writer.write(head)
        await writer.drain()
        status, got_headers, got = await asyncio.wait_for(answer, timeout)
        if status != 100:
            return RawResponse(status, got_headers, got, time.monotonic() - started, 0)
        answer = asyncio.create_task(_read_response(reader))
        while sent < len(body) and not answer.done():
            writer.write(body[sent : sent + CHUNK])
            try:
                await writer.drain()
            except (ConnectionError, OSError):
                break
            sent += CHUNK
            await asyncio.sleep(0)
        status, got_headers, got = await asyncio.wait_for(answer, timeout)
        return RawResponse(
            status, got_headers, got, time.monotonic() - started, min(sent, len(body))
        )
    finally:
        answer.cancel()
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
