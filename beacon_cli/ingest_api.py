"""The ingest API as ``beacon import`` uses it: batches and the imports routes, retried on
what passes (a 503 with Retry-After, a restarting service), and a 422's refused items."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson

from beacon_cli.client import problems, raise_for_auth, unreachable
from beacon_cli.config import CliSettings
from beacon_cli.errors import CliError

ITEM_FIELD = re.compile(r"^body\.items\[(?P<index>\d+)\]\.?(?P<field>.*)$")
RETRIES = 8


class Ingest:
    def __init__(self, settings: CliSettings) -> None:
        self.settings = settings
        self.base = f"{settings.base_url('ingest')}/api/v1"
        self.http: httpx.AsyncClient | None = None
        # Until Beacon has accepted something, a refused connection is a wrong URL or a
        # service that is down: said at once. Afterwards it is retried (a restart).
        self.accepted_any = False

    @asynccontextmanager
    async def session(self) -> AsyncIterator[Ingest]:
        headers = {**self.settings.auth_headers(), "content-type": "application/json"}
        async with httpx.AsyncClient(headers=headers, timeout=self.settings.timeout_s) as http:
            self.http = http
            try:
                yield self
            finally:
                self.http = None

    async def send_batch(self, kind: str, body: bytes) -> httpx.Response:
        """POST a batch; the answer (202, or the 422 to read with :func:`refused`)."""
        response = await self.request("POST", f"/{kind}", body)
        if response.status_code == 202:
            self.accepted_any = True
        return response

    async def call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        """One call of the imports API, its JSON answer."""
        content = orjson.dumps(body) if body is not None else None
        response = await self.request(method, path, content)
        raise_for_auth(response)
        if response.status_code == 404 and path.startswith("/imports"):
            raise CliError(
                f"{method} /api/v1{path}: not found ({response.text[:200]}).",
                hint="an ingest service older than imports (issue 23), or an unknown import id.",
            )
        if response.status_code >= 400:
            raise CliError(f"{method} /api/v1{path}: {response.status_code} {response.text[:300]}")
        answer = response.json()
        if not isinstance(answer, dict):
            raise CliError(f"{method} /api/v1{path}: unexpected answer {response.text[:200]}")
        return answer

    async def request(self, method: str, path: str, body: bytes | None) -> httpx.Response:
        assert self.http is not None, "inside session() only"
        url = self.base + path
        delay = 0.5
        for attempt in range(RETRIES):
            try:
                response = await self.http.request(method, url, content=body)
            except (httpx.ConnectError, httpx.ConnectTimeout) as error:
                if not self.accepted_any or attempt == RETRIES - 1:
                    raise unreachable("ingest", self.settings.base_url("ingest"), error) from None
            except (httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.WriteError) as error:
                if attempt == RETRIES - 1:
                    raise CliError(
                        f"the ingest API did not answer: {error!r}",
                        hint="run the same command with --resume to go on.",
                    ) from None
            else:
                if response.status_code not in (502, 503, 504):
                    return response
                if attempt == RETRIES - 1:
                    raise CliError(
                        f"the ingest API answered {response.status_code}: {response.text[:300]}",
                        hint="is RabbitMQ up? Run the same command with --resume to go on.",
                    )
                delay = float(response.headers.get("retry-after") or delay)
            await asyncio.sleep(min(delay, 10.0))
            delay *= 2
        raise AssertionError("unreachable")


def refused(response: httpx.Response) -> dict[int, list[tuple[str, str]]]:
    """The items a batch's answer refuses, by index: ``body.items[3].email`` is item 3's
    email. Anything but a 422 naming items is an error of the whole run."""
    raise_for_auth(response)
    if response.status_code == 413:
        raise CliError(
            f"the ingest API refused a batch as too large: {response.text[:300]}",
            hint="pass a smaller --batch-size.",
        )
    found: dict[int, list[tuple[str, str]]] = {}
    if response.status_code == 422:
        for e in problems(response):
            item = ITEM_FIELD.match(str(e.get("field", "")))
            if item:
                found.setdefault(int(item["index"]), []).append(
                    (item["field"] or "(row)", str(e.get("message")))
                )
    if not found:
        raise CliError(f"the ingest API answered {response.status_code}: {response.text[:500]}")
    return found
