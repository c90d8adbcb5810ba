"""``beacon import``: stream a file, validate each row, send batches to the ingest API.

Rows are read one at a time and grouped into batches of up to 10,000; a bounded number of
batches are in flight at once. A refused row (here, or by the API's 422) goes to the report
and the rest of its batch is sent again. After each batch the contiguous confirmed prefix
is saved, so ``--resume`` continues from it.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from beacon_cli import mapping, state, validation
from beacon_cli.client import problems, raise_for_auth, unreachable
from beacon_cli.config import CliSettings
from beacon_cli.errors import CliError
from beacon_cli.records import Source
from beacon_cli.report import Report

ITEM_FIELD = re.compile(r"^body\.items\[(?P<index>\d+)\]\.?(?P<field>.*)$")

MAX_BATCH = 10_000
RETRIES = 8


@dataclass
class Options:
    kind: str  # "customers" or "orders"
    path: Path
    overrides: dict[str, str] = field(default_factory=dict)
    report_path: Path | None = None
    state_path: Path | None = None
    batch_size: int = 5_000
    concurrency: int = 4
    dry_run: bool = False
    resume: bool = False
    date_format: str | None = None

    @property
    def report(self) -> Path:
        return self.report_path or self.path.with_name(self.path.name + f".{self.kind}.bad.jsonl")

    @property
    def state(self) -> Path:
        return self.state_path or self.path.with_name(self.path.name + f".{self.kind}.state.json")


@dataclass
class Batch:
    number: int
    last_line: int  # the last source line this batch settles (bad rows included)
    items: list[Any] = field(default_factory=list)  # validated rows, until sealed
    lines: list[int] = field(default_factory=list)  # each row's source line
    body: bytes = b""  # the request body; the rows themselves are not kept (memory)
    accepted: int = 0

    def seal(self, adapter: Any) -> Batch:
        self.body = b'{"items":' + adapter.dump_json(self.items) + b"}"
        self.items = []
        return self


@dataclass
class Summary:
    rows: int = 0  # rows read in this run
    sent: int = 0  # accepted in total (earlier runs included)
    bad: int = 0  # in the report in total
    skipped: int = 0  # rows skipped because an earlier run settled them
    seconds: float = 0.0
    mapping: mapping.Mapping | None = None
    first_date_problem: tuple[int, str, str] | None = None  # line, reason, raw


Progress = Callable[[int, int, int], None]  # (bytes read, rows read, rows sent)


class Importer:
    def __init__(self, settings: CliSettings, options: Options) -> None:
        self.settings = settings
        self.o = options
        if not 1 <= options.batch_size <= MAX_BATCH:
            raise CliError(f"--batch-size must be between 1 and {MAX_BATCH}.")
        self.adapter = validation.BATCH_ADAPTERS[options.kind]
        self.url = f"{settings.base_url('ingest')}/api/v1/{options.kind}"
        self.summary = Summary()
        self._done: dict[int, Batch] = {}
        self._next = 0
        self._accepted_any = False

    def open(self) -> None:
        """Read the header, map the columns and load the state: the mistakes worth
        stopping for are found here, before anything is sent."""
        o = self.o
        self.source = Source(o.path)
        try:
            headers = self.source.peek_headers()
            self.summary.mapping = mapping.build(o.kind, headers, o.overrides)
            self.state = (
                state.for_resume(o.state, o.path, o.kind)
                if o.resume
                else state.fresh(o.path, o.kind)
            )
            if self.state.done:
                raise CliError(
                    f"{o.path} was imported completely already (state {o.state}).",
                    hint="drop --resume to import it again.",
                )
        except BaseException:
            self.source.close()
            raise

    async def run(self, progress: Progress = lambda *_: None) -> Summary:
        started = time.monotonic()
        o = self.o
        try:
            self.report = Report(
                o.report, keep_through_line=self.state.confirmed_line if o.resume else None
            )
            self.summary.sent = self.state.sent
            try:
                await self._pump(self.source, progress)
            finally:
                self.report.close()
            if not o.dry_run:
                self.state.done = True
                self.state.save(o.state)
        finally:
            self.source.close()
        self.summary.bad = self.report.count
        self.summary.seconds = time.monotonic() - started
        return self.summary

    async def _pump(self, source: Source, progress: Progress) -> None:
        o, m, s = self.o, self.summary.mapping, self.summary
        assert m is not None
        limit = asyncio.Semaphore(o.concurrency)
        tasks: set[asyncio.Task[None]] = set()
        failure: list[BaseException] = []
        async with httpx.AsyncClient(
            headers={**self.settings.auth_headers(), "content-type": "application/json"},
            timeout=self.settings.timeout_s,
        ) as http:

            async def send(batch: Batch) -> None:
                try:
                    await self._send(http, batch)
                    self._settle(batch)
                except BaseException as error:  # surfaced by the pump below
                    failure.append(error)
                finally:
                    limit.release()

            batch = Batch(0, self.state.confirmed_line)
            number = 0
            for line, row, raw in source.rows():
                if line <= self.state.confirmed_line:
                    s.skipped += 1
                    continue
                s.rows += 1
                batch.last_line = line
                self._check(batch, line, row, raw)
                if len(batch.lines) >= o.batch_size:
                    if failure:
                        break
                    await limit.acquire()
                    if failure:
                        break
                    tasks.add(asyncio.create_task(send(batch.seal(self.adapter))))
                    number += 1
                    batch = Batch(number, line)
                    progress(source.position(), s.rows, s.sent)
                    await asyncio.sleep(0)  # let the new request start before reading on
            else:
                await limit.acquire()
                tasks.add(asyncio.create_task(send(batch.seal(self.adapter))))
            if tasks:
                await asyncio.wait(tasks)
            progress(source.position(), s.rows, s.sent)
        if failure:
            raise failure[0]

    def _check(self, batch: Batch, line: int, row: dict[str, Any], raw: str) -> None:
        if "__error__" in row:
            self.report.add(line, "(row)", str(row["__error__"]), raw)
            return
        assert self.summary.mapping is not None
        try:
            item = validation.validate(
                self.o.kind, self.summary.mapping.apply(row), self.o.date_format
            )
        except validation.Problem as problem:
            self.report.add(line, problem.field, problem.reason, raw)
            if problem.unreadable_date and self.summary.first_date_problem is None:
                self.summary.first_date_problem = (line, problem.reason, raw)
            return
        batch.items.append(item)
        batch.lines.append(line)

    async def _send(self, http: httpx.AsyncClient, batch: Batch) -> None:
        """Send until accepted; rows the API refuses go to the report, the rest again."""
        if self.o.dry_run:
            return
        body = batch.body
        while batch.lines:
            response = await self._post(http, body)
            if response.status_code == 202:
                self._accepted_any = True
                batch.accepted = len(batch.lines)
                self.summary.sent += batch.accepted
                return
            refused = self._refused(response)
            items = orjson.loads(body)["items"]  # rare: the body is the only copy of the rows
            for index in sorted(refused, reverse=True):
                field_, reason = refused[index]
                self.report.add(
                    batch.lines[index], field_, reason, orjson.dumps(items[index]).decode()
                )
                del items[index], batch.lines[index]
            body = orjson.dumps({"items": items})

    def _refused(self, response: httpx.Response) -> dict[int, tuple[str, str]]:
        raise_for_auth(response)
        if response.status_code == 413:
            raise CliError(
                f"the ingest API refused a batch as too large: {response.text[:300]}",
                hint="pass a smaller --batch-size.",
            )
        refused: dict[int, list[tuple[str, str]]] = {}
        if response.status_code == 422:
            for e in problems(response):
                # "body.items[3].email": row 3 of the batch, its email.
                item = ITEM_FIELD.match(str(e.get("field", "")))
                if item:
                    field_ = item["field"] or "(row)"
                    refused.setdefault(int(item["index"]), []).append(
                        (field_, str(e.get("message")))
                    )
        if not refused:
            raise CliError(f"the ingest API answered {response.status_code}: {response.text[:500]}")
        return {
            i: (",".join(f for f, _ in problems), "; ".join(f"{f}: {m}" for f, m in problems))
            for i, problems in refused.items()
        }

    async def _post(self, http: httpx.AsyncClient, body: bytes) -> httpx.Response:
        """POST with retries on what passes (503 with Retry-After, a restarting service)."""
        delay = 0.5
        for attempt in range(RETRIES):
            try:
                response = await http.post(self.url, content=body)
            except (httpx.ConnectError, httpx.ConnectTimeout) as error:
                if not self._accepted_any or attempt == RETRIES - 1:
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

    def _settle(self, batch: Batch) -> None:
        """Record a finished batch; save the state when the contiguous prefix grows."""
        self._done[batch.number] = batch
        advanced = False
        while self._next in self._done:
            finished = self._done.pop(self._next)
            self.state.confirmed_line = finished.last_line
            self._next += 1
            advanced = True
        if advanced and not self.o.dry_run:
            self.state.sent = self.summary.sent - sum(b.accepted for b in self._done.values())
            self.report.flush()  # the report holds every bad row up to confirmed_line first
            self.state.save(self.o.state)
