"""Ingest's imports API: an import is opened, its rows sent as batches naming it, sealed
with how many were sent; the worker counts what became of each row, and the import is
``done`` once all are applied. An import can be undone (the worker does it in steps).

``beacon import`` and the dashboard's upload (``upload.py``) both go through these.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncEngine

from beacon_formats import FormatError, Options, parse_overrides
from services.ingest import upload
from services.ingest.domain import events
from services.ingest.service import now_utc
from services.ingest.settings import IngestSettings
from services.ingest.store import imports as import_store
from shared.auth.dependency import Caller
from shared.db import unit_of_work
from shared.envelope import Envelope
from shared.errors import ApiError, ServiceUnavailable, invalid_field, responses
from shared.pagination import Cursor, decode_cursor, encode_cursor
from shared.validation import parse_int_id

Kind = Literal["customers", "orders"]
SourceName = Literal["generic", "shopify", "woocommerce"]


class NewImport(BaseModel):
    kind: Kind
    source: SourceName = "generic"
    file_name: str | None = Field(default=None, max_length=255)


class Seal(BaseModel):
    sent: int = Field(
        ge=0, le=2**31 - 1, strict=True, description="rows sent in batches naming the import"
    )
    bad: int = Field(
        default=0, ge=0, le=2**31 - 1, strict=True, description="rows refused before sending"
    )


class ImportCounts(BaseModel):
    new: int
    updated: int
    unchanged: int
    merged: int
    stale: int = Field(description="older than what is stored (ignored)")
    erased: int = Field(description="naming an erased person (skipped)")
    no_customer: int = Field(description="orders naming no known customer (kept, waiting)")


class ImportUndo(BaseModel):
    restored: int
    removed: int
    conflicts: int = Field(description="rows changed since by someone else: left as they are")
    requested_at: str | None
    finished_at: str | None


class ImportOut(BaseModel):
    import_id: str
    kind: Kind
    source: SourceName
    file_name: str | None
    status: Literal["open", "sealed", "done", "undoing", "undone"]
    created_at: str
    created_by: str | None
    sent: int | None
    bad: int
    processed: int
    counts: ImportCounts
    sealed_at: str | None
    finished_at: str | None
    undo: ImportUndo | None


class ImportList(BaseModel):
    items: list[ImportOut]
    next_cursor: str | None


class Mapped(BaseModel):
    field: str
    column: str


class RowProblem(BaseModel):
    line: int
    field: str
    reason: str


class FieldReason(BaseModel):
    field: str
    reason: str


class ReadLineItem(BaseModel):
    """A line item as read from the file (what it leaves out, the API defaults)."""

    name: str
    sku: str | None = None
    quantity: int | None = None
    price: str | float | None = None


class PreviewRecord(BaseModel):
    line: int
    item: dict[str, str | int | float | bool | list[ReadLineItem] | None] | None = Field(
        description="the API item Beacon would send (a customer or an order); null if refused"
    )
    problems: list[FieldReason]
    warnings: list[FieldReason]


class UploadOut(BaseModel):
    """An uploaded file as read: the preview (dry run), or that and the import it made."""

    kind: Kind
    source: SourceName
    file_name: str
    mapping: list[Mapped]
    ignored: list[str]
    notes: list[str]
    dates: str = Field(description="the layout dates were read in (given, the preset's, found)")
    timezone: str
    rows: int = Field(description="source rows read (a Shopify order's line items included)")
    records: int = Field(description="customers or orders made of them")
    good: int
    bad: int
    problems: list[RowProblem] = Field(description=f"the first {upload.LISTED}")
    problem_counts: dict[str, int]
    warnings: list[RowProblem] = Field(description="optional values dropped, the row kept")
    warning_counts: dict[str, int]
    preview: list[PreviewRecord] = Field(description=f"the first {upload.PREVIEW} records")
    bad_csv: str | None = Field(description="the refused rows in the file's own layout")
    import_: ImportOut | None = Field(default=None, alias="import")


ImportId = Annotated[str, Path(max_length=20, description="an import's id")]
UPLOAD_BATCH = 5_000  # items per event, as beacon import sends them


def _number(import_id: str) -> int:
    number = parse_int_id(import_id)
    if number is None:
        raise ApiError(404, f"no import {import_id[:20]!r}")
    return number


def add_routes(
    router: APIRouter,
    settings: IngestSettings,
    engine: AsyncEngine,
    publish: Callable[[Envelope], Awaitable[None]],
) -> None:
    async def found(number: int) -> dict[str, Any]:
        async with engine.connect() as conn:
            row = await import_store.get(conn, number)
        if row is None:
            raise ApiError(404, f"no import {number}")
        return row

    @router.post(
        "/imports/upload",
        summary="Read a shop's file (the dashboard's upload): preview it, or import it",
        response_model=UploadOut,
        response_model_by_alias=True,
        responses={**responses(413, 503), 202: {"model": UploadOut}},
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "text/csv": {"schema": {"type": "string", "format": "binary"}},
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                },
            }
        },
    )
    async def upload_file(
        request: Request,
        who: Caller,
        kind: Kind,
        source: SourceName = "generic",
        dry_run: Annotated[bool, Query(description="read and show, send nothing")] = True,
        file_name: Annotated[str, Query(max_length=255)] = "upload.csv",
        date_format: Annotated[
            str | None, Query(max_length=64, description="strptime layout, e.g. %d/%m/%Y")
        ] = None,
        timezone: Annotated[
            str, Query(max_length=64, description="for times without an offset")
        ] = "Asia/Kolkata",
        decimal_comma: Annotated[bool, Query(description="read 1.234,56 as 1234.56")] = False,
        map_: Annotated[
            list[str], Query(alias="map", max_length=40, description="field=Column overrides")
        ] = [],  # noqa: B006 (FastAPI copies it)
    ) -> Response:
        body = await request.body()
        if len(body) > settings.max_body_bytes:
            raise ApiError(413, f"body larger than {settings.max_body_bytes} bytes")
        try:
            options = Options(
                source=source,
                overrides=parse_overrides(kind, map_),
                date_format=date_format,
                timezone=timezone,
                decimal_comma=decimal_comma,
            )
            read = await asyncio.to_thread(upload.read_upload, kind, body, file_name, options)
        except FormatError as error:
            field = f"query.{error.option}" if error.option else "body"
            raise invalid_field(field, error.sentence(flags=False)) from None
        described = read.describe()
        if dry_run:
            return JSONResponse({**described, "import": None})
        async with unit_of_work(engine) as conn:
            number = await import_store.create(
                conn,
                kind=kind,
                source=source,
                file_name=file_name,
                actor=who.actor(),
                now=now_utc(),
            )
        make = events.customers_submitted if kind == "customers" else events.orders_submitted
        sent = 0
        try:
            for start in range(0, len(read.items), UPLOAD_BATCH):
                batch = read.items[start : start + UPLOAD_BATCH]
                actors = events.submitted_by(who.actor(), len(batch))
                await publish(make(batch, str(number), actors))
                sent += len(batch)
        except ServiceUnavailable:
            raise ServiceUnavailable(
                f"import {number} stopped after {sent} of {len(read.items)} rows (the message"
                " broker did not confirm); undo it once done, or import the file again"
            ) from None
        finally:
            async with unit_of_work(engine) as conn:
                await import_store.seal(conn, number, sent=sent, bad=read.bad, now=now_utc())
        return JSONResponse({**described, "import": await found(number)}, status_code=202)

    @router.post("/imports", status_code=201, summary="Open an import", response_model=ImportOut)
    async def open_import(body: NewImport, who: Caller) -> dict[str, Any]:
        async with unit_of_work(engine) as conn:
            number = await import_store.create(
                conn,
                kind=body.kind,
                source=body.source,
                file_name=body.file_name,
                actor=who.actor(),
                now=now_utc(),
            )
        return await found(number)

    @router.get("/imports", summary="Imports, newest first", response_model=ImportList)
    async def list_imports(
        limit: Annotated[int, Query(ge=1, le=1000)] = 50, cursor: Cursor = None
    ) -> dict[str, Any]:
        async with engine.connect() as conn:
            items, last = await import_store.page(
                conn, before_id=decode_cursor(cursor) or 0, limit=limit
            )
        return {"items": items, "next_cursor": encode_cursor(last)}

    @router.get(
        "/imports/{import_id}",
        summary="One import and what became of its rows",
        response_model=ImportOut,
        responses=responses(404),
    )
    async def get_import(import_id: ImportId) -> dict[str, Any]:
        return await found(_number(import_id))

    @router.post(
        "/imports/{import_id}/seal",
        summary="Say every row was sent: the import is done once the worker applied them",
        response_model=ImportOut,
        responses=responses(404, 409),
    )
    async def seal(import_id: ImportId, body: Seal) -> dict[str, Any]:
        number = _number(import_id)
        async with unit_of_work(engine) as conn:
            row = await import_store.get(conn, number, lock=True)
            if row is None:
                raise ApiError(404, f"no import {number}")
            if row["status"] != "open" and row["sent"] != body.sent:
                raise ApiError(409, f"import {number} is {row['status']} already")
            await import_store.seal(conn, number, sent=body.sent, bad=body.bad, now=now_utc())
        return await found(number)

    @router.post(
        "/imports/{import_id}/undo",
        status_code=202,
        summary="Undo an import: what it created is removed, what it changed restored",
        response_model=ImportOut,
        responses=responses(404, 409, 503),
    )
    async def undo(import_id: ImportId, who: Caller) -> dict[str, Any]:
        number = _number(import_id)
        async with unit_of_work(engine) as conn:
            row = await import_store.get(conn, number, lock=True)
            if row is None:
                raise ApiError(404, f"no import {number}")
            if row["status"] == "undone":
                return row
            if row["status"] not in ("done", "undoing"):
                raise ApiError(
                    409, f"import {number} is {row['status']}: wait until it is done to undo it"
                )
            await import_store.request_undo(conn, number, now_utc())
        # After the commit, so the worker finds it undoing. Should this publish fail (503),
        # asking again publishes again; a step that finds nothing to do is harmless.
        await publish(events.undo_requested(number, who.actor()))
        return await found(number)
