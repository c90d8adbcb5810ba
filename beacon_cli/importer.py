"""``beacon import``: read a file with ``beacon_formats``, send its items to the ingest API
as one import, seal it, and wait until Beacon has processed it.

The flow: ``POST /api/v1/imports`` makes the import (its id goes into the state file at
once); records are read one at a time and grouped into batches of up to 10,000 items,
``{"import_id": ..., "items": [...]}``, a bounded number in flight at once. A refused
record (here, or by the API's 422) goes to the report with its source rows, and the rest of
its batch is sent again. After each batch the contiguous confirmed prefix is saved, so
``--resume`` continues from it, into the same import. At the end ``POST .../seal`` says how
many were sent and refused; :meth:`Importer.wait` then polls the import until it is
``done`` and its counts (new, updated, merged, ...) are final.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

import beacon_formats
from beacon_cli import state
from beacon_cli.config import CliSettings
from beacon_cli.errors import CliError
from beacon_cli.ingest_api import Ingest, refused
from beacon_cli.report import Report, default_path, pack, unpack
from beacon_cli.tally import Tally

MAX_BATCH = 10_000
POLL_S = (0.2, 2.0)  # first and longest wait between two looks at a sealed import


@dataclass(frozen=True)
class Threshold:
    """``--max-bad``: a count (``10``) or a share of the records (``2%``)."""

    count: int | None = None
    percent: float | None = None

    @classmethod
    def parse(cls, text: str) -> Threshold:
        raw = text.strip()
        try:
            if raw.endswith("%"):
                percent = float(raw[:-1])
                if not 0 <= percent <= 100:
                    raise ValueError
                return cls(percent=percent)
            count = int(raw)
            if count < 0:
                raise ValueError
            return cls(count=count)
        except ValueError:
            raise CliError(
                f"--max-bad {text!r}: expected a number of rows (10) or a share (2%)"
            ) from None

    def allows(self, bad: int, total: int) -> bool:
        if self.count is not None:
            return bad <= self.count
        return bad <= (self.percent or 0.0) / 100 * total


@dataclass
class Options:
    kind: str  # "customers" or "orders"
    path: Path
    source: str = "generic"
    source_given: bool = True  # False: --from left out (a platform's export then stops)
    overrides: dict[str, str] = field(default_factory=dict)
    report_path: Path | None = None
    state_path: Path | None = None
    batch_size: int = 5_000
    concurrency: int = 4
    dry_run: bool = False
    resume: bool = False
    date_format: str | None = None
    timezone: str = "Asia/Kolkata"
    decimal_comma: bool = False
    max_bad: Threshold | None = None
    stall_s: float = 300.0  # give up waiting when processing makes no progress this long

    def formats(self) -> beacon_formats.Options:
        return beacon_formats.Options(
            source=self.source,
            overrides=self.overrides,
            date_format=self.date_format,
            timezone=self.timezone,
            decimal_comma=self.decimal_comma,
        )

    def report(self, file_format: str) -> Path:
        return self.report_path or default_path(self.path, file_format)

    @property
    def state(self) -> Path:
        return self.state_path or self.path.with_name(self.path.name + f".{self.kind}.state.json")


@dataclass
class Batch:
    number: int
    last_line: int  # the last source line this batch settles (bad records included)
    items: list[dict[str, Any]] = field(default_factory=list)  # until sealed
    # Each item's source lines and packed rows, for the report should the API refuse it.
    sources: list[tuple[int, int, str]] = field(default_factory=list)
    body: bytes = b""  # the request body; the items themselves are not kept (memory)
    accepted: int = 0

    def seal(self, import_id: str | None) -> Batch:
        if import_id is not None:  # a dry run sends nothing, so encodes nothing
            self.body = orjson.dumps({"import_id": import_id, "items": self.items})
        self.items = []
        return self


@dataclass
class Summary:
    records: int = 0  # records read in this run
    sent: int = 0  # accepted in total (earlier runs included)
    bad: int = 0  # in the report in total
    skipped: int = 0  # records skipped because an earlier run settled them
    seconds: float = 0.0
    header: beacon_formats.Header | None = None
    report: Path | None = None
    import_id: str | None = None
    outcome: dict[str, Any] | None = None  # the import as Beacon has it at the end
    problems: Tally = field(default_factory=Tally)
    warnings: Tally = field(default_factory=Tally)
    first_date_problem: tuple[int, str, str] | None = None  # line, reason, raw

    @property
    def total(self) -> int:
        return self.sent + self.bad


Progress = Callable[[int, int, int], None]  # (bytes read, records read, records sent)
Processing = Callable[[int, int], None]  # (processed, sent)


class Importer:
    def __init__(self, settings: CliSettings, options: Options) -> None:
        self.settings = settings
        self.o = options
        if not 1 <= options.batch_size <= MAX_BATCH:
            raise CliError(f"--batch-size must be between 1 and {MAX_BATCH}.")
        self.api = Ingest(settings)
        self.summary = Summary()
        self._done: dict[int, Batch] = {}
        self._next = 0

    def open(self) -> None:
        """Read the header, map the columns, settle the date layout and load the state: the
        mistakes worth stopping for are found here, before anything is sent."""
        o = self.o
        try:
            self.reading = beacon_formats.read(o.kind, o.path, o.formats())
        except beacon_formats.FormatError as error:
            raise CliError(error.message, hint=error.hint) from None
        try:
            looks_like = self.reading.header.looks_like
            if looks_like is not None and not o.source_given:
                raise CliError(
                    f"{o.path.name} looks like a {looks_like} {o.kind} export, and --from "
                    "was not given.",
                    hint=f"pass --from {looks_like} (or --from generic to read it by its "
                    "headers alone).",
                )
            self.summary.header = self.reading.header
            self.summary.report = o.report(self.reading.header.format)
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
            self.reading.close()
            raise

    async def run(self, progress: Progress = lambda *_: None) -> Summary:
        """Send every good record and seal the import (nothing is sent in a dry run)."""
        started = time.monotonic()
        o, s = self.o, self.summary
        try:
            assert s.report is not None
            self.report = Report(
                s.report,
                self.reading.header,
                keep_through_line=self.state.confirmed_line if o.resume else None,
            )
            s.sent = self.state.sent
            try:
                async with self.api.session() as api:
                    sealed = False
                    if not o.dry_run:
                        sealed = await self._begin(api)
                    if not sealed:
                        await self._pump(api, progress)
                    s.bad = self.report.count
                    if not o.dry_run and not sealed:
                        self.report.flush()
                        s.outcome = await api.call(
                            "POST", f"/imports/{s.import_id}/seal", {"sent": s.sent, "bad": s.bad}
                        )
            finally:
                self.report.close()
        finally:
            self.reading.close()
        s.bad = self.report.count
        s.seconds = time.monotonic() - started
        return s

    async def _begin(self, api: Ingest) -> bool:
        """Make the import, or find the resumed one; True when it is sealed already."""
        s, st = self.summary, self.state
        if self.o.resume and st.import_id is not None:
            found = await api.call("GET", f"/imports/{st.import_id}")
            status = found.get("status")
            if status in ("undoing", "undone"):
                raise CliError(
                    f"import {st.import_id} was undone; there is nothing to resume.",
                    hint="drop --resume to import the file again.",
                )
            s.import_id = st.import_id
            if status != "open":  # sealed before the last run stopped: only wait
                s.outcome = found
                return True
            return False
        made = await api.call(
            "POST",
            "/imports",
            {"kind": self.o.kind, "source": self.o.source, "file_name": self.o.path.name},
        )
        s.import_id = st.import_id = str(made["import_id"])
        st.save(self.o.state)
        return False

    async def wait(self, processing: Processing = lambda *_: None) -> Summary:
        """Poll the sealed import until Beacon has processed every item sent."""
        s = self.summary
        if self.o.dry_run or s.import_id is None:
            return s
        delay, stalled_since, last = POLL_S[0], time.monotonic(), -1
        async with self.api.session() as api:
            while True:
                found = s.outcome = await api.call("GET", f"/imports/{s.import_id}")
                processed, sent = int(found.get("processed") or 0), int(found.get("sent") or 0)
                processing(processed, sent)
                if found.get("status") in ("done", "undoing", "undone"):
                    break
                if processed != last:
                    last, stalled_since = processed, time.monotonic()
                elif time.monotonic() - stalled_since > self.o.stall_s:
                    raise CliError(
                        f"import {s.import_id}: {processed:,} of {sent:,} processed, and no "
                        f"progress for {self.o.stall_s:.0f} s.",
                        hint=f"it may still finish: `beacon imports show {s.import_id}`.",
                    )
                await asyncio.sleep(delay)
                delay = min(delay * 1.5, POLL_S[1])
        self.state.done = True
        self.state.save(self.o.state)
        return s

    async def _pump(self, api: Ingest, progress: Progress) -> None:
        o, s = self.o, self.summary
        limit = asyncio.Semaphore(o.concurrency)
        tasks: set[asyncio.Task[None]] = set()
        failure: list[BaseException] = []

        async def send(batch: Batch) -> None:
            try:
                await self._send(api, batch)
                self._settle(batch)
            except BaseException as error:  # surfaced by the pump below
                failure.append(error)
            finally:
                limit.release()

        confirmed = self.state.confirmed_line
        batch = Batch(0, confirmed)
        number = 0
        for record in self.reading:
            if record.last_line <= confirmed:
                s.skipped += 1
                continue
            s.records += 1
            batch.last_line = record.last_line
            self._check(batch, record)
            if len(batch.sources) >= o.batch_size:
                if failure:
                    break
                await limit.acquire()
                if failure:
                    break
                tasks.add(asyncio.create_task(send(batch.seal(s.import_id))))
                number += 1
                batch = Batch(number, record.last_line)
                progress(self.reading.position(), s.records, s.sent)
                await asyncio.sleep(0)  # let the new request start before reading on
        else:
            await limit.acquire()
            tasks.add(asyncio.create_task(send(batch.seal(s.import_id))))
        if tasks:
            await asyncio.wait(tasks)
        progress(self.reading.position(), s.records, s.sent)
        if failure:
            raise failure[0]

    def _check(self, batch: Batch, record: beacon_formats.Record) -> None:
        s = self.summary
        for field_, reason in record.warnings:
            s.warnings.add(record.first_line, field_, reason)
        if record.item is None:
            self._refuse(record.first_line, record.last_line, record.rows, record.problems)
            for name, reason in record.problems:
                if name in ("ordered_at", "created_at", "updated_at", "consent_at"):
                    if s.first_date_problem is None and "date" in reason:
                        raw = ",".join(str(c) for c in record.rows[0]) if record.rows else ""
                        s.first_date_problem = (record.first_line, reason, raw)
            return
        batch.items.append(record.item)
        batch.sources.append((record.first_line, record.last_line, self._pack(record.rows)))

    def _refuse(
        self, first: int, last: int, rows: list[list[Any]], found: list[tuple[str, str]]
    ) -> None:
        found = found or [("(row)", "refused")]
        self.report.add(first, last, rows, found)
        for name, reason in found:
            self.summary.problems.add(first, name, reason)

    def _pack(self, rows: list[list[Any]]) -> str:
        if self.reading.header.format == "jsonl":
            return str(rows[0][0])  # the line as written
        return pack(rows, self.reading.header.delimiter)

    def _unpack(self, packed: str) -> list[list[Any]]:
        if self.reading.header.format == "jsonl":
            return [[packed]]
        return unpack(packed, self.reading.header.delimiter)

    async def _send(self, api: Ingest, batch: Batch) -> None:
        """Send until accepted; items the API refuses go to the report, the rest again."""
        if self.o.dry_run:
            self.summary.sent += len(batch.sources)  # what would be sent
            batch.accepted = len(batch.sources)
            return
        body = batch.body
        while batch.sources:
            response = await api.send_batch(self.o.kind, body)
            if response.status_code == 202:
                batch.accepted = len(batch.sources)
                self.summary.sent += batch.accepted
                return
            refused_items = refused(response)
            decoded = orjson.loads(body)  # rare: the body is the only copy of the items
            items = decoded["items"]
            for index in sorted(refused_items, reverse=True):
                if index >= len(items):
                    continue
                first, last, packed = batch.sources[index]
                self._refuse(first, last, self._unpack(packed), refused_items[index])
                del items[index], batch.sources[index]
            body = orjson.dumps(decoded)

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
            self.report.flush()  # the report holds every bad record up to confirmed_line first
            self.state.save(self.o.state)


def exit_code(summary: Summary, threshold: Threshold | None) -> int:
    """0 when nothing was refused (or no more than --max-bad allows), 3 otherwise."""
    if summary.bad == 0:
        return 0
    if threshold is not None and threshold.allows(summary.bad, summary.total):
        return 0
    return 3
